/**
 * A background sweep that runs every few seconds for the life of the coordinator (expired
 * intents, stalled FROST sessions). A failed run is logged and the next one tries again; the
 * timer never keeps the process alive on its own.
 */
import type { Logger } from '@nestjs/common';

export class PeriodicSweep {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly name: string, private readonly logger: Logger, private readonly run: () => Promise<unknown>) {}

  start(everySeconds: number): void {
    this.stop();
    this.timer = setInterval(() => {
      this.run().catch((error: unknown) => this.logger.error({ msg: `${this.name} failed`, error: String(error) }));
    }, everySeconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
