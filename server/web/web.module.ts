/** The treasury and auditor web app (issue 6): its page and assets, and live push to its browsers. */
import { Module } from '@nestjs/common';
import { BrowserHub } from './browser-hub';
import { WebController } from './web.controller';

@Module({ controllers: [WebController], providers: [BrowserHub], exports: [BrowserHub] })
export class WebModule {}
