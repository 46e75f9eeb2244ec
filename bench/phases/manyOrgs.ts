// Phase "many": the peer and the service ingesting for ORGS organizations, and what it adds to Temporal's history.
import { ORGS, WARM_UP_SECONDS } from '../config';
import { ingestLine } from '../ingest';
import type { LayoutRun } from '../layoutRun';
import { coreList, round, sum, thousands } from '../numbers';
import { historyLengths } from '../temporalHistory';

export async function measureManyOrgs(run: LayoutRun): Promise<void> {
  const { peer: peerFigures, service: serviceFigures, ratios } = run.figures;
  const { temporal } = run.stack;
  const orgs = await run.createOrgsWithGrants('many', ORGS);
  // A warm-up of each, not counted: JIT, connections.
  await run.peerRun(orgs, 'peer-warm', WARM_UP_SECONDS);
  await run.serviceRun(orgs, 'warm', WARM_UP_SECONDS);

  // No organization here has auto-recharge on: no usage request should reach Temporal.
  const historyBefore = await historyLengths(temporal, orgs);
  const { peer: peerMany, service: many } = await run.sideBySide(orgs, orgs, 'many');
  const historyAfter = await historyLengths(temporal, orgs);
  let grown = 0;
  let runsChanged = 0;
  for (const [id, after] of historyAfter) {
    const before = historyBefore.get(id)!;
    if (before.runId === after.runId) grown += after.events - before.events;
    else (runsChanged++, (grown += after.events)); // continued as new meanwhile: at least the new run's events
  }
  peerFigures.manyOrgs = peerMany;
  serviceFigures.manyOrgs = many;
  serviceFigures.temporalHistory = {
    orgs: orgs.length,
    eventsBefore: sum([...historyBefore.values()].map((h) => h.events)),
    eventsAfter: sum([...historyAfter.values()].map((h) => h.events)),
    historyEventsAdded: grown,
    runsContinuedAsNew: runsChanged,
    usageEvents: many.events,
    per1000UsageEvents: round((grown / many.events) * 1000, 3),
  };
  ratios.manyOrgsToPeer = round(many.eventsPerSecond / peerMany.eventsPerSecond, 2);
  console.log(`  peer, ${ORGS} orgs:       ${ingestLine(peerMany)}\n    cores: ${coreList(peerMany.coresUsed)}`);
  console.log(`  service, ${ORGS} orgs:    ${ingestLine(many)}: ${ratios.manyOrgsToPeer} x peer\n    cores: ${coreList(many.coresUsed)}`);
  console.log(`    Temporal history: ${grown} events added for ${thousands(many.events)} usage events (${serviceFigures.temporalHistory.per1000UsageEvents} per 1,000)`);
}
