// Phase "memory": MEMORY_ORGS more organizations created and active; and the peak RSS every layout reports.
import { MEMORY_ORGS, RUN, service } from '../config';
import { call, expectOk, inParallel } from '../http';
import type { LayoutRun } from '../layoutRun';
import { round, rssList } from '../numbers';

export async function measureMemory(run: LayoutRun): Promise<void> {
  const memoryStarted = performance.now();
  const rssBefore = run.stack.peakRss();
  const memoryOrgs = await run.createOrgs('mem', MEMORY_ORGS);
  await inParallel(memoryOrgs, 16, async (id) => {
    const events = Array.from({ length: 10 }, (_, i) => ({ id: `mem-${RUN}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
    await expectOk(call(run.stack.app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
    run.accepted.set(id, (run.accepted.get(id) ?? 0) + 10);
  });
  run.figures.service.memory = { activeOrgs: run.created.length, peakRssMbBefore: rssBefore };
  console.log(`  memory: ${MEMORY_ORGS} more organizations created and active in ${round((performance.now() - memoryStarted) / 1000)} s`);
}

/** Peak RSS of the service's processes and of the peer, after every phase. */
export function recordPeakRss(run: LayoutRun): void {
  const { peer: peerFigures, service: serviceFigures } = run.figures;
  serviceFigures.peakRssMb = run.stack.peakRss();
  peerFigures.peakRssMb = round(run.stack.peer.peakRssMb());
  console.log(`  peak RSS: ${rssList(serviceFigures.peakRssMb)} with ${run.created.length} orgs; the peer ${peerFigures.peakRssMb} MiB`);
}
