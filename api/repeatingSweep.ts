// A sweep each API process runs at start and then again and again until closed: the crossing
// signals' sweep and the card expiry sweep (every interval), the grant expiry sweep (at the
// soonest expiry it knows of).
export abstract class RepeatingSweep {
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<unknown> | undefined;
  protected closed = false;

  /** Sweeps once (never throwing); answers how long to wait before the next sweep, in ms. */
  protected abstract sweepAndWait(): Promise<number>;

  /** Starts sweeping; answers when the first sweep is done. */
  start(): Promise<void> {
    this.run();
    return this.sweeping!.then(() => undefined);
  }

  /** Waits for a sweep under way; none starts after this. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.sweeping;
  }

  private run(): void {
    this.sweeping = this.sweepAndWait().then((waitMs) => {
      this.sweeping = undefined;
      if (this.closed) return;
      this.timer = setTimeout(() => this.run(), waitMs);
      this.timer.unref();
    });
  }
}
