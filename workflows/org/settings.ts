// The Owner's auto-recharge settings and the payment method on file.
import { afterSettingsSaved, ENABLE_REFUSAL_MESSAGES, enableRefusal, type AutoRechargeSettings } from '../../domain/autoRecharge';
import { noteCapReached } from './capNotices';
import { commit, emit, refuse, type Org } from './context';

export function validateAutoRecharge(org: Org, settings: AutoRechargeSettings): void {
  if (!settings.enabled) return;
  const refusal = enableRefusal(org.state.subscription?.status === 'active', org.state.paymentMethodId !== null);
  if (refusal) refuse(refusal, ENABLE_REFUSAL_MESSAGES[refusal]);
}

/** Saving while below the threshold recharges at once (threshold sync): the balance is read again. */
export async function configureAutoRecharge(org: Org, settings: AutoRechargeSettings): Promise<void> {
  const { state } = org;
  state.counters = afterSettingsSaved(state.counters, state.autoRecharge, settings);
  state.autoRecharge = { ...settings };
  emit(org, 'settings.updated', 'Auto-recharge settings updated.', { ...settings });
  noteCapReached(org);
  org.balanceCheckDue = true;
  await commit(org);
}

/** A new card is worth trying at once; it does not re-enable a disabled auto-recharge. */
export async function setPaymentMethod(org: Org, paymentMethodId: string | null): Promise<void> {
  const { state } = org;
  state.paymentMethodId = paymentMethodId;
  if (paymentMethodId) {
    state.counters = { ...state.counters, nextAttemptAt: null };
    org.balanceCheckDue = true;
    emit(org, 'payment_method.updated', 'Payment method updated.', { paymentMethodId });
  } else {
    emit(org, 'payment_method.removed', 'Payment method removed.');
  }
  await commit(org);
}
