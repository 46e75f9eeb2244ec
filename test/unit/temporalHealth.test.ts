// /healthz's bookkeeping: an outage counts from its first failure; an answer ends it, so the next
// outage reports its own age.
import { TemporalHealth } from '../../api/temporalHealth';

test('an outage counts from its first failure and ends with an answer; the next one has its own age', () => {
  const health = new TemporalHealth(60_000);
  expect(health.downForMs(0)).toBe(0);
  health.failed(1_000);
  health.failed(11_000);
  expect(health.downForMs(21_000)).toBe(20_000);
  health.answered(30_000);
  expect(health.downForMs(31_000)).toBe(0);
  health.failed(331_000 - 50_000);
  expect(health.downForMs(331_000)).toBe(50_000);
});

test('a failure after a silence longer than the grace period (and 30 s) starts a new count', () => {
  const health = new TemporalHealth(60_000);
  health.failed(0);
  health.failed(10_000);
  // Nobody asked for five minutes: Temporal may have come back and gone again meanwhile.
  health.failed(310_000);
  expect(health.downForMs(311_000)).toBe(1_000);
  health.failed(340_000);
  expect(health.downForMs(340_000)).toBe(30_000);
});

test('with a short grace period, checks 30 s apart still count one outage', () => {
  const health = new TemporalHealth(2_000);
  health.failed(0);
  health.failed(30_000);
  expect(health.downForMs(30_000)).toBe(30_000);
  health.failed(61_000);
  expect(health.downForMs(61_000)).toBe(0);
});
