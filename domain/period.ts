// Billing periods: a period ends at the subscription's currentPeriodEnd and the next one is a calendar month later.

/** The same day-of-month a month later, clamped to the month's last day (Jan 31 -> Feb 28/29). */
export function addOneMonth(epochMs: number): number {
  const d = new Date(epochMs);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}

/** The first period end after `now`, stepping a month at a time from `periodEnd`. */
export function nextPeriodEndAfter(periodEnd: number, now: number): number {
  let next = addOneMonth(periodEnd);
  while (next <= now) next = addOneMonth(next);
  return next;
}
