// Heavy reads run one at a time per organization; waiting for a turn is bounded and answers 503.
import type { Pool } from 'pg';
import { ApiError } from '../../api/errors';
import { HeavyReads } from '../../api/heavyReads';

const pool = {} as Pool;

/** A read that runs until released, noting when it started. */
function heldRead(log: string[], name: string) {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  const read = async () => {
    log.push(`${name} started`);
    await done;
    log.push(`${name} done`);
    return name;
  };
  return { read, release };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('reads of one organization take turns; another organization does not wait for them', async () => {
  const heavy = new HeavyReads(pool, 10_000);
  const log: string[] = [];
  const [a1, a2, b1] = [heldRead(log, 'a1'), heldRead(log, 'a2'), heldRead(log, 'b1')];
  const answers = [heavy.run('a', a1.read), heavy.run('a', a2.read), heavy.run('b', b1.read)];
  await tick();
  expect(log).toEqual(['a1 started', 'b1 started']);
  a1.release();
  await tick();
  expect(log).toEqual(['a1 started', 'b1 started', 'a1 done', 'a2 started']);
  a2.release();
  b1.release();
  expect(await Promise.all(answers)).toEqual(['a1', 'a2', 'b1']);
});

test('a read that waits longer than the bound for its turn answers 503 database_unavailable, and the next one still gets its turn', async () => {
  const heavy = new HeavyReads(pool, 50);
  const log: string[] = [];
  const [first, late, next] = [heldRead(log, 'first'), heldRead(log, 'late'), heldRead(log, 'next')];
  const running = heavy.run('a', first.read);
  const gaveUp = heavy.run('a', late.read).catch((err: unknown) => err);
  const error = await gaveUp;
  expect(error).toBeInstanceOf(ApiError);
  expect(error).toMatchObject({ status: 503, code: 'database_unavailable', retryAfterSeconds: expect.any(Number) });
  const queued = heavy.run('a', next.read);
  first.release();
  await running;
  await tick();
  expect(log).toEqual(['first started', 'first done', 'next started']);
  next.release();
  expect(await queued).toBe('next');
});

test('a failed read hands the turn on', async () => {
  const heavy = new HeavyReads(pool, 10_000);
  await expect(heavy.run('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  await expect(heavy.run('a', async () => 'after')).resolves.toBe('after');
});
