// Billing periods: a period ends at the subscription's currentPeriodEnd; the next ones fall on the
// same day of later months, counted from that anchor so a short month never shifts the day for good.

/** The same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 -> Feb 28/29). */
export function addMonths(epochMs: number, months: number): number {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** The first period end strictly after `now`: the anchor plus a whole number (>= 1) of months. */
export function nextPeriodEndAfter(anchor: number, now: number): number {
  for (let months = 1; ; months++) {
    const next = addMonths(anchor, months);
    if (next > now) return next;
  }
}
