// payment_method.expiring: a default card that expires before the end of next month is announced
// once per card, without any API call. Every API process sweeps at start and then every
// CARD_EXPIRY_SWEEP_INTERVAL_MS; the event is keyed by the card, written under the balance row's
// lock, so any number of sweeps (or of processes) write it once. It is then delivered like every
// event: the outbox trigger writes its webhook and e-mail deliveries.
import type { Pool } from 'pg';
import { cardExpiry, cardName, expiringThrough } from '../domain/cards';
import type { Logger } from '../observability/logger';
import { recordEventOnce } from '../store/events';
import { expiringDefaultCards } from '../store/paymentMethods';
import { RepeatingSweep } from './repeatingSweep';

const KEY_PREFIX = 'payment_method.expiring:';

export class CardExpirySweep extends RepeatingSweep {
  constructor(
    private readonly db: Pool,
    private readonly logger: Logger,
    private readonly intervalMs: number,
  ) {
    super();
  }

  protected async sweepAndWait(): Promise<number> {
    await this.sweepOnce();
    return this.intervalMs;
  }

  /** The cards announced by this sweep (for tests and logs). */
  async sweepOnce(now = new Date()): Promise<number> {
    let announced = 0;
    try {
      for (const card of await expiringDefaultCards(this.db, expiringThrough(now), KEY_PREFIX)) {
        if (this.closed) break;
        const wrote = await recordEventOnce(this.db, card.orgId, {
          type: 'payment_method.expiring',
          at: now.toISOString(),
          message: `${cardName(card)} expires ${cardExpiry(card)}.`,
          data: { paymentMethodId: card.id, brand: card.brand, last4: card.last4, expMonth: card.expMonth, expYear: card.expYear },
          key: KEY_PREFIX + card.id,
        });
        if (wrote) announced++;
      }
    } catch (err) {
      this.logger.warn({ error: String(err) }, 'expiring cards not swept; the next sweep retries');
    }
    return announced;
  }
}
