// Phase "scale": SCALE_ORGS organizations, each with its workflow: how fast they are created,
// ingestion spread over all of them against the same over 50 of them (alternating rounds), the
// service's peak memory, and how long a restart takes to serve usage again.
import { ROUNDS, SCALE_ORGS, SECONDS, service, WARM_UP_SECONDS } from '../config';
import { call, expectOk } from '../http';
import { ingestLine, merged, type IngestRun } from '../ingest';
import type { LayoutRun } from '../layoutRun';
import { round, rssList, thousands } from '../numbers';

export async function measureScale(run: LayoutRun): Promise<void> {
  const { stack } = run;
  console.log(`  scale: ${thousands(SCALE_ORGS)} organizations, each with its workflow`);
  const createStarted = performance.now();
  const orgs = await run.createOrgs('scale', SCALE_ORGS);
  const createSeconds = (performance.now() - createStarted) / 1000;
  const orgsPerSecond = round(SCALE_ORGS / createSeconds, 1);
  console.log(`    created in ${round(createSeconds)} s: ${orgsPerSecond} organizations a second`);

  const fifty = orgs.slice(0, 50);
  await run.serviceRun(orgs, 'scale-warm', WARM_UP_SECONDS);
  const few: IngestRun[] = [];
  const all: IngestRun[] = [];
  for (let k = 0; k < ROUNDS; k++) {
    few.push(await run.serviceRun(fifty, `scale-50-${k}`, SECONDS));
    all.push(await run.serviceRun(orgs, `scale-all-${k}`, SECONDS));
  }
  const [overFifty, overAll] = [merged(few), merged(all)];
  const allToFifty = round(overAll.eventsPerSecond / overFifty.eventsPerSecond, 2);
  console.log(`    over 50 of them:  ${ingestLine(overFifty)}`);
  console.log(`    over all of them: ${ingestLine(overAll)}: ${allToFifty} x the 50`);
  const peakRssMb = stack.peakRss();
  console.log(`    peak RSS: ${rssList(peakRssMb)}`);

  // A restart: SIGTERM, start again, and time until a usage request is accepted.
  await Promise.all([stack.app.stop(), stack.worker?.stop()]);
  const restartStarted = performance.now();
  await Promise.all([stack.app.start(), stack.worker?.start({ waitUntilReady: false })]);
  const id = orgs[orgs.length - 1];
  const events = [{ id: `scale-after-restart-${Date.now()}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }];
  await expectOk(call(stack.app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
  run.accepted.set(id, (run.accepted.get(id) ?? 0) + 1);
  const restartSeconds = round((performance.now() - restartStarted) / 1000, 2);
  console.log(`    restart to serving usage: ${restartSeconds} s`);

  run.figures.service.scale = { orgs: SCALE_ORGS, createSeconds: round(createSeconds), orgsPerSecond, overFifty, overAll, allToFifty, peakRssMb, restartSeconds };
}
