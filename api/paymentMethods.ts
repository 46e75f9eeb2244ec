// An organization's saved cards: one way to add, make default and remove a card, shared by the
// routes and the provider's events. The list is ours (store/paymentMethods.ts, details as the
// provider gave them); the default reaches the workflow through its setPaymentMethod update, so
// charges use it, and the provider's customer is told too.
import type { Pool } from 'pg';
import { cardName, type CardView } from '../domain/cards';
import type { PaymentProvider } from '../payments/provider';
import { deleteCard, findCard, listCards, readCardPolicy, saveCard, type SavedCard } from '../store/paymentMethods';
import { allocationCardsQuery, setPaymentMethodUpdate } from '../workflows/messages';
import { ApiError, notFound } from './errors';
import type { OrgWorkflows } from './orgWorkflows';

export interface ListedCard extends CardView {
  isDefault: boolean;
}

export const cardNotFound = () => notFound('Payment method');

export const cardView = ({ id, brand, last4, expMonth, expYear }: CardView): CardView => ({ id, brand, last4, expMonth, expYear });

export class PaymentMethodBook {
  constructor(
    private readonly db: Pool,
    private readonly payments: PaymentProvider,
    private readonly workflows: OrgWorkflows,
  ) {}

  /** The cards, most recently added first. A default saved before cards were listed is added once. */
  async list(orgId: string): Promise<ListedCard[]> {
    const [cards, policy] = await Promise.all([listCards(this.db, orgId), readCardPolicy(this.db, orgId)]);
    const defaultId = policy?.defaultId ?? null;
    if (defaultId && !cards.some((c) => c.id === defaultId)) {
      await saveCard(this.db, orgId, defaultId, await this.payments.paymentMethodDetails(defaultId));
      return this.list(orgId);
    }
    return cards.map((card) => ({ ...cardView(card), isDefault: card.id === defaultId }));
  }

  /** One of the organization's cards, or 404 (another organization's card is unknown here). */
  async get(orgId: string, id: string): Promise<SavedCard> {
    const card = await findCard(this.db, orgId, id);
    if (!card) throw cardNotFound();
    return card;
  }

  /** A card the provider saved for the organization: listed with its details, and made the default
   * (the card just added is the one the customer means to pay with). */
  async add(orgId: string, id: string, asked: boolean): Promise<void> {
    await saveCard(this.db, orgId, id, await this.payments.paymentMethodDetails(id));
    await this.makeDefault(orgId, id, asked);
  }

  /** Asked by a person (`asked`), the workflow hears it even for the default card: saving a card
   * again clears the decline backoff. A provider's repeated events change nothing. */
  async makeDefault(orgId: string, id: string, asked: boolean): Promise<void> {
    await this.payments.setDefaultPaymentMethod(orgId, id);
    if (asked || (await readCardPolicy(this.db, orgId))?.defaultId !== id) await this.workflows.update(orgId, setPaymentMethodUpdate, id);
  }

  /**
   * Detaches a card (unless the provider already did: `detached`) and forgets it. The default's
   * place goes to the most recently added other card. Asked by a person, the last card is kept
   * while auto-recharge is on, and a card an allocation names is kept until it names another.
   */
  async remove(orgId: string, id: string, detached = false): Promise<void> {
    const card = await findCard(this.db, orgId, id);
    if (!card && !detached) throw cardNotFound();
    const policy = await readCardPolicy(this.db, orgId);
    const next = (await listCards(this.db, orgId)).find((c) => c.id !== id) ?? null;
    if (!detached) {
      if (!next && policy?.autoRechargeEnabled) {
        throw new ApiError(409, 'payment_method_required', `${cardName(card!)} is the only card, and auto-recharge is on: it would have no card to charge. Add another card, or turn auto-recharge off, first.`);
      }
      const usedBy = Object.entries(await this.workflows.query(orgId, allocationCardsQuery, {})).find(([, cardId]) => cardId === id)?.[0];
      if (usedBy) throw new ApiError(409, 'payment_method_in_use', `${cardName(card!)} pays the auto allocation of sub-account ${usedBy}. Choose another card for that allocation first.`);
      await this.payments.detachPaymentMethod(id);
    }
    await deleteCard(this.db, orgId, id);
    if (policy?.defaultId === id) {
      await this.payments.setDefaultPaymentMethod(orgId, next?.id ?? null);
      await this.workflows.update(orgId, setPaymentMethodUpdate, next?.id ?? null);
    }
  }
}
