// balance.low is sent when available credits cross below the threshold, once per crossing.

export interface LowBalanceCheck {
  notify: boolean;
  /** Whether the org is now below the threshold (re-arms the notice once it is back above). */
  below: boolean;
}

export function lowBalanceCheck(availableCredits: number, thresholdCredits: number, wasBelow: boolean): LowBalanceCheck {
  const below = availableCredits < thresholdCredits;
  return { below, notify: below && !wasBelow };
}
