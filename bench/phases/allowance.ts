// Phase "allowance": latency of the allowance check at a steady rate, alone and while usage streams in;
// then 8 in flight; then 16 clients of 100 checks each against the service and the peer, alternately.
import { ALLOWANCE_RATE, ORGS, ROUNDS, SECONDS, service } from '../config';
import { call, expectOk, inParallel, paced } from '../http';
import { ingest } from '../ingest';
import type { LayoutRun } from '../layoutRun';
import { percentile, round, sum, thousands } from '../numbers';

const latencies = (l: number[]) => ({ p50: round(percentile(l, 50), 2), p99: round(percentile(l, 99), 2), checks: l.length });

export async function measureAllowance(run: LayoutRun): Promise<void> {
  const { url } = run.stack.app;
  console.log(`  allowance checks: ${ALLOWANCE_RATE} a second, alone and while usage streams in; then 8 in flight`);
  const orgs = run.created.filter((id) => id.startsWith('many-')).slice(0, ORGS);
  const checkOrgs = orgs.length ? orgs : await run.createOrgs('allowance', ORGS);
  const checkAllowanceAt = async (base: string, id: string, into: number[]) => {
    const t0 = performance.now();
    await expectOk(call(base, 'GET', `/v1/orgs/${id}/agents/bench-agent/allowance`, service));
    into.push(performance.now() - t0);
  };
  const checkAllowance = (id: string, into: number[]) => checkAllowanceAt(url, id, into);
  // A warm-up round, not counted: the API's first checks open its database connections.
  await inParallel(Array.from({ length: 64 }, (_, i) => checkOrgs[i % checkOrgs.length]), 8, (id) => checkAllowance(id, []));
  // Checks at a steady rate, as agents make them: the latency of a check, not of a queue of them.
  const quiet: number[] = [];
  const quietCount = Math.round(ALLOWANCE_RATE * 5);
  await paced(quietCount, ALLOWANCE_RATE, (i) => checkAllowance(checkOrgs[i % checkOrgs.length], quiet));
  // Agents check before each conversation and report after it: checks meet the usage they follow.
  const underLoad: number[] = [];
  const streaming = ingest(url, checkOrgs, 'allowance');
  await paced(Math.round(ALLOWANCE_RATE * (SECONDS - 0.5)), ALLOWANCE_RATE, (i) => checkAllowance(checkOrgs[i % checkOrgs.length], underLoad));
  const during = await streaming;
  run.addAccepted(during.acceptedByOrg);
  // A closed loop of 8 clients, each sending its next check on the answer: at saturation, latency = 8 / throughput.
  const closed: number[] = [];
  const closedStarted = performance.now();
  await inParallel(Array.from({ length: 1000 }, (_, i) => checkOrgs[i % checkOrgs.length]), 8, (id) => checkAllowance(id, closed));
  const closedPerSecond = round(closed.length / ((performance.now() - closedStarted) / 1000));
  run.figures.service.allowanceMs = {
    checksPerSecond: ALLOWANCE_RATE,
    quiet: latencies(quiet),
    underLoad: { ...latencies(underLoad), ingestionEventsPerSecond: round(sum(during.acceptedByOrg.values()) / during.seconds) },
    eightInFlight: { ...latencies(closed), checksPerSecond: closedPerSecond },
  };
  // 16 clients, each sending its 100 checks one after the other, against the service and the peer in
  // alternating rounds (each warmed up first): the tail under concurrency, side by side.
  const sixteen = { service: [] as number[], peer: [] as number[] };
  const closedLoop = (base: string, into: number[]) =>
    Promise.all(Array.from({ length: 16 }, async (_, client) => {
      for (let i = 0; i < 100; i++) await checkAllowanceAt(base, checkOrgs[(client * 100 + i) % checkOrgs.length], into);
    }));
  await closedLoop(run.stack.peer.url, []);
  for (let round = 0; round < ROUNDS; round++) {
    await closedLoop(run.stack.peer.url, sixteen.peer);
    await closedLoop(url, sixteen.service);
  }
  run.figures.service.allowanceMs.sixteenClients = latencies(sixteen.service);
  run.figures.peer.allowanceMs = { sixteenClients: latencies(sixteen.peer) };
  run.figures.ratios.allowanceP99ToPeer = round(percentile(sixteen.service, 99) / percentile(sixteen.peer, 99), 2);
  const { quiet: q, underLoad: u, eightInFlight: c } = run.figures.service.allowanceMs;
  console.log(`    alone: p50 ${q.p50} ms, p99 ${q.p99} ms`);
  console.log(`    while ${thousands(u.ingestionEventsPerSecond)} events/s stream in: p50 ${u.p50} ms, p99 ${u.p99} ms (${u.checks} checks)`);
  console.log(`    8 in flight: p50 ${c.p50} ms, p99 ${c.p99} ms, ${thousands(closedPerSecond)} checks/s`);
  const [s16, p16] = [run.figures.service.allowanceMs.sixteenClients, run.figures.peer.allowanceMs.sixteenClients];
  console.log(`    16 clients x 100: service p50 ${s16.p50} ms, p99 ${s16.p99} ms; peer p50 ${p16.p50} ms, p99 ${p16.p99} ms: p99 ${run.figures.ratios.allowanceP99ToPeer} x peer`);
}
