/**
 * Serves the treasury and auditor web app (issue 6) at `/`: one page, its scripts and its style
 * sheet, all public (the app holds no secret; what it shows comes from the REST API, behind the
 * access gate, with the member's session). Every answer carries a strict Content Security
 * Policy: scripts and styles only from this origin, no inline code, no eval, connections only
 * back to this origin (REST and the live WebSocket), and the page may not be framed.
 */
import { Controller, Get, Header, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Access } from '../auth/access.decorator';
import { WebAssets, type WebFile } from './web-assets';

export const WEB_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

@ApiExcludeController()
@Controller()
export class WebController {
  private readonly assets = new WebAssets();

  @Get()
  @Access('public')
  @Header('Cache-Control', 'no-cache')
  page(@Res() res: Response): void {
    send(res, this.assets.page());
  }

  @Get('assets/:file')
  @Access('public')
  // Content-hashed names: a new build has new names, so a file may be kept for good.
  @Header('Cache-Control', 'public, max-age=31536000, immutable')
  asset(@Param('file') file: string, @Res() res: Response): void {
    send(res, this.assets.asset(file));
  }
}

function send(res: Response, file: WebFile): void {
  res.setHeader('Content-Security-Policy', WEB_CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.type(file.type).send(file.body);
}
