// Phase "hot": the peer and the service ingesting for one organization, with no 429 allowed.
import { RUN } from '../config';
import { ingestLine } from '../ingest';
import type { LayoutRun } from '../layoutRun';
import { coreList, round } from '../numbers';
import { runsOf } from '../temporalHistory';

export async function measureHotOrg(run: LayoutRun): Promise<void> {
  const { peer: peerFigures, service: serviceFigures, ratios } = run.figures;
  const [hotOrg] = await run.createOrgsWithGrants('hot', 1);
  const { peer: peerHot, service: hot } = await run.sideBySide([`peer-hot-${RUN}`], [hotOrg], 'hot');
  const history = await runsOf(run.stack.temporal, hotOrg);
  const tooMany = hot.statuses['429'] ?? 0;
  run.figures.checks.no429 = tooMany === 0;
  peerFigures.hotOrg = peerHot;
  serviceFigures.hotOrg = { ...hot, status429: tooMany, history };
  ratios.hotOrgToPeer = round(hot.eventsPerSecond / peerHot.eventsPerSecond, 2);
  console.log(`  peer, one hot org:     ${ingestLine(peerHot)}\n    cores: ${coreList(peerHot.coresUsed)}`);
  console.log(`  service, one hot org:  ${ingestLine(hot)}: ${ratios.hotOrgToPeer} x peer; 429: ${tooMany}\n    cores: ${coreList(hot.coresUsed)}`);
  console.log(`    its workflow: ${history.runs} run(s), the longest ${history.maxEvents} events (${round(history.maxBytes / 2 ** 20, 3)} MiB)`);
}
