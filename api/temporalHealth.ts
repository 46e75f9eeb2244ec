// Since when Temporal has not answered this API process, for /healthz. Every call that reached it
// (a health check, a command) ends an outage. A failure starts one, unless one is already counting;
// but a failure seen after a long silence (nothing asked Temporal for longer than the grace period
// and than a usual health-check interval) starts a new count: nothing says Temporal was down in
// between, it may have come back and gone again unobserved.

/** Docker's default healthcheck interval: checks this far apart still count one outage. */
const USUAL_CHECK_INTERVAL_MS = 30_000;

export class TemporalHealth {
  private downSince: number | undefined;
  private lastObservedAt: number | undefined;
  private readonly silenceMs: number;

  constructor(graceMs: number) {
    this.silenceMs = Math.max(graceMs, USUAL_CHECK_INTERVAL_MS);
  }

  answered(now = Date.now()): void {
    this.downSince = undefined;
    this.lastObservedAt = now;
  }

  failed(now = Date.now()): void {
    const silentTooLong = this.lastObservedAt === undefined || now - this.lastObservedAt > this.silenceMs;
    if (this.downSince === undefined || silentTooLong) this.downSince = now;
    this.lastObservedAt = now;
  }

  /** 0 while Temporal answers. */
  downForMs(now = Date.now()): number {
    return this.downSince === undefined ? 0 : now - this.downSince;
  }
}
