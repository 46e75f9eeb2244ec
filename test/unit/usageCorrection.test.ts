// The void rules: where each part of a voided usage event goes back, and the correction window.
import { correctionWindowOpen, returnedCredits, voidReturn, type EventDebit } from '../../domain/usageCorrection';

const split: EventDebit = { plan: 30, grants: [{ grantId: 'g1', credits: 20 }, { grantId: 'g2', credits: 15 }], wallet: 5 };
const live = (...ids: string[]) => new Set(ids);

test('in the same period every part goes back to the pool it came from', () => {
  const r = voidReturn(split, { samePeriod: true, planRoom: 1000, liveGrantIds: live('g1', 'g2') });
  expect(r).toEqual({ plan: 30, grants: split.grants, wallet: 5, forfeited: [] });
  expect(returnedCredits(r)).toBe(70);
});

test('after a renewal the plan part goes to the wallet', () => {
  const r = voidReturn(split, { samePeriod: false, planRoom: 1000, liveGrantIds: live('g1', 'g2') });
  expect(r).toEqual({ plan: 0, grants: split.grants, wallet: 35, forfeited: [] });
  expect(returnedCredits(r)).toBe(70);
});

test('the plan takes back no more than the period granted; the rest goes to the wallet', () => {
  // A smaller plan since the event (or a lapsed subscription: room 0).
  expect(voidReturn(split, { samePeriod: true, planRoom: 12, liveGrantIds: live('g1', 'g2') })).toMatchObject({ plan: 12, wallet: 23 });
  expect(voidReturn(split, { samePeriod: true, planRoom: 0, liveGrantIds: live('g1', 'g2') })).toMatchObject({ plan: 0, wallet: 35 });
  expect(voidReturn(split, { samePeriod: true, planRoom: -5, liveGrantIds: live('g1', 'g2') })).toMatchObject({ plan: 0, wallet: 35 });
});

test('a grant that has ended since takes nothing back: its part is forfeited, not moved to the wallet', () => {
  const r = voidReturn(split, { samePeriod: true, planRoom: 1000, liveGrantIds: live('g2') });
  expect(r).toEqual({ plan: 30, grants: [{ grantId: 'g2', credits: 15 }], wallet: 5, forfeited: [{ grantId: 'g1', credits: 20 }] });
  expect(returnedCredits(r)).toBe(50);
});

test('an event that took only from the wallet gives only the wallet back', () => {
  expect(voidReturn({ plan: 0, grants: [], wallet: 9 }, { samePeriod: false, planRoom: 0, liveGrantIds: live() })).toEqual({ plan: 0, grants: [], wallet: 9, forfeited: [] });
});

test('usage may be voided until the window after its occurredAt ends', () => {
  const occurredAt = '2026-01-01T00:00:00.000Z';
  const day = 86_400_000;
  expect(correctionWindowOpen(occurredAt, Date.parse(occurredAt) + 35 * day, 35)).toBe(true);
  expect(correctionWindowOpen(occurredAt, Date.parse(occurredAt) + 35 * day + 1, 35)).toBe(false);
  expect(correctionWindowOpen(occurredAt, Date.parse(occurredAt) + 2 * day, 1)).toBe(false);
});
