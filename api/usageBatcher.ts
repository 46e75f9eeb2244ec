// Coalesces usage from many concurrent requests into few signals per organization: while one
// signal is in flight, arriving events queue and leave together in the next one.

export type SendBatch<E> = (orgId: string, events: E[]) => Promise<void>;

interface Waiting<E> {
  events: E[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class UsageBatcher<E> {
  private readonly queues = new Map<string, Waiting<E>[]>();
  private readonly sending = new Set<string>();

  constructor(
    private readonly send: SendBatch<E>,
    private readonly maxEventsPerBatch: number,
    private readonly onBatch: (size: number) => void = () => undefined,
  ) {}

  /** Resolves once the events are durably recorded; rejects if their batch could not be. */
  submit(orgId: string, events: E[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(orgId) ?? [];
      queue.push({ events, resolve, reject });
      this.queues.set(orgId, queue);
      void this.drain(orgId);
    });
  }

  private async drain(orgId: string): Promise<void> {
    if (this.sending.has(orgId)) return;
    this.sending.add(orgId);
    try {
      for (let queue = this.queues.get(orgId); queue?.length; queue = this.queues.get(orgId)) {
        const batch = this.takeBatch(queue);
        if (queue.length === 0) this.queues.delete(orgId);
        const events = batch.flatMap((w) => w.events);
        try {
          await this.send(orgId, events);
          this.onBatch(events.length);
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.sending.delete(orgId);
    }
  }

  /** Whole requests, up to the batch limit (always at least one). */
  private takeBatch(queue: Waiting<E>[]): Waiting<E>[] {
    let count = 0;
    let take = 0;
    while (take < queue.length && (take === 0 || count + queue[take].events.length <= this.maxEventsPerBatch)) {
      count += queue[take].events.length;
      take++;
    }
    return queue.splice(0, take);
  }
}
