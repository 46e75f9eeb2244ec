// The table `npm run bench` prints.
import { ALLOWANCE_RATE, ORGS } from './config';
import type { LayoutFigures } from './layoutRun';
import { coreList, round, rssList, thousands } from './numbers';

type Row = [string, (f: LayoutFigures) => string, string];

/** Ingestion against the peer in the same run (issue 20). */
const INGESTION_TARGET = 0.8;

/** The figures of every layout side by side, as a Markdown table. */
export function table(all: LayoutFigures[]): string {
  const n = (x: number | undefined) => (x === undefined ? '' : thousands(x));
  const lat = (l: { p50: number; p99: number }) => `p50 ${l.p50} ms, p99 ${l.p99} ms`;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const rows: Row[] = [
    ['peer, 50 organizations'.replace('50', String(ORGS)), (f) => (f.peer.manyOrgs ? `${n(f.peer.manyOrgs.eventsPerSecond)} events/s, ${lat(f.peer.manyOrgs.latencyMs)}` : ''), ''],
    [
      `ingestion, ${ORGS} organizations`,
      (f) => (f.service.manyOrgs ? `${n(f.service.manyOrgs.eventsPerSecond)} events/s: **${f.ratios.manyOrgsToPeer} × peer** (${met(f.ratios.manyOrgsToPeer >= INGESTION_TARGET)}), ${lat(f.service.manyOrgs.latencyMs)}` : ''),
      `≥ ${INGESTION_TARGET} × peer`,
    ],
    ['peer, one hot organization', (f) => (f.peer.hotOrg ? `${n(f.peer.hotOrg.eventsPerSecond)} events/s, ${lat(f.peer.hotOrg.latencyMs)}` : ''), ''],
    [
      'ingestion, one hot organization',
      (f) =>
        f.service.hotOrg
          ? `${n(f.service.hotOrg.eventsPerSecond)} events/s: **${f.ratios.hotOrgToPeer} × peer** (${met(f.ratios.hotOrgToPeer >= INGESTION_TARGET && f.service.hotOrg.status429 === 0)}), ${lat(f.service.hotOrg.latencyMs)}; 429: ${f.service.hotOrg.status429}, other non-202: ${f.service.hotOrg.notAccepted - f.service.hotOrg.status429}`
          : '',
      `≥ ${INGESTION_TARGET} × peer, no 429`,
    ],
    [
      'its workflow during the hot run',
      (f) => (f.service.hotOrg ? `${f.service.hotOrg.history.runs} run(s), the longest ${f.service.hotOrg.history.maxEvents} events / ${round(f.service.hotOrg.history.maxBytes / 2 ** 20, 3)} MiB` : ''),
      'reported',
    ],
    [
      'threshold crossing → credits visible',
      (f) => (f.service.thresholdToCreditMs ? `p50 ${f.service.thresholdToCreditMs.p50} ms, max ${f.service.thresholdToCreditMs.max} ms (${met(f.service.thresholdToCreditMs.p50 <= 100)})` : ''),
      'p50 ≤ 100 ms',
    ],
    [
      `allowance check, ${ALLOWANCE_RATE} a second`,
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.quiet)} (${met(f.service.allowanceMs.quiet.p99 <= 10)})` : ''),
      'p99 ≤ 10 ms',
    ],
    [
      `allowance check, ${ALLOWANCE_RATE} a second while usage streams in`,
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.underLoad)} with ${n(f.service.allowanceMs.underLoad.ingestionEventsPerSecond)} events/s` : ''),
      'reported',
    ],
    [
      'allowance check, 16 clients × 100 (closed loop), the peer in the same run',
      (f) =>
        f.service.allowanceMs?.sixteenClients
          ? `${lat(f.service.allowanceMs.sixteenClients)}; peer ${lat(f.peer.allowanceMs.sixteenClients)}: **p99 ${f.ratios.allowanceP99ToPeer} × peer** (${met(f.ratios.allowanceP99ToPeer <= 1.5)})`
          : '',
      'p99 ≤ 1.5 × peer',
    ],
    [
      'allowance check, 8 in flight (closed loop)',
      (f) => (f.service.allowanceMs ? `${lat(f.service.allowanceMs.eightInFlight)}, ${n(f.service.allowanceMs.eightInFlight.checksPerSecond)} checks/s` : ''),
      'reported',
    ],
    [
      'policy simulation, one busy organization\'s month',
      (f) => (f.service.simulation ? `${n(f.service.simulation.ledgerEntries)} entries: p50 ${f.service.simulation.p50Ms} ms, max ${f.service.simulation.maxMs} ms (first ${f.service.simulation.firstMs} ms)` : ''),
      'reported',
    ],
    [
      'scale: organizations created, each with its workflow',
      (f) => (f.service.scale ? `${n(f.service.scale.orgs)} in ${f.service.scale.createSeconds} s: ${f.service.scale.orgsPerSecond} a second` : ''),
      'reported',
    ],
    [
      'scale: ingestion spread over all of them',
      (f) =>
        f.service.scale
          ? `${n(f.service.scale.overAll.eventsPerSecond)} events/s against ${n(f.service.scale.overFifty.eventsPerSecond)} over 50 of them: **${f.service.scale.allToFifty} ×** (${met(f.service.scale.allToFifty >= 0.9)})`
          : '',
      '≥ 0.9 × over 50',
    ],
    [
      'scale: peak RSS; restart to serving usage',
      (f) =>
        f.service.scale
          ? `${rssList(f.service.scale.peakRssMb)}; restart ${f.service.scale.restartSeconds} s (${met(f.service.scale.restartSeconds <= 10)})`
          : '',
      'reported; restart ≤ 10 s',
    ],
    [
      'Temporal history events per 1,000 usage events (no crossing)',
      (f) => (f.service.temporalHistory ? `${f.service.temporalHistory.per1000UsageEvents} (${f.service.temporalHistory.historyEventsAdded} events for ${n(f.service.temporalHistory.usageEvents)} usage events)` : ''),
      '≈ 0',
    ],
    [
      'exactly-once: accepted = rows = debited',
      (f) => `${n(f.service.exactlyOnce.eventsAccepted)} = ${n(f.service.exactlyOnce.eventRows)} = ${n(f.service.exactlyOnce.creditsDebited)}: ${f.service.exactlyOnce.ok ? 'holds' : '**FAILED**'}`,
      'equal',
    ],
    [
      `cores used, ${ORGS} organizations`,
      (f) => (f.service.manyOrgs ? `${coreList(f.service.manyOrgs.coresUsed)}; the peer's run: ${coreList(f.peer.manyOrgs.coresUsed)}` : ''),
      'reported',
    ],
    [
      'other programs on the machine during ingestion (cores)',
      (f) =>
        [f.peer.manyOrgs && `${ORGS} orgs: peer ${f.peer.manyOrgs.coresUsed.otherProcesses}, service ${f.service.manyOrgs.coresUsed.otherProcesses}`, f.peer.hotOrg && `hot org: peer ${f.peer.hotOrg.coresUsed.otherProcesses}, service ${f.service.hotOrg.coresUsed.otherProcesses}`]
          .filter(Boolean)
          .join('; '),
      'about 0',
    ],
    [
      'peak RSS',
      (f) =>
        `${Object.entries(f.service.peakRssMb as Record<string, number>).map(([k, v]) => `${k} ${n(v)} MiB`).join(', ')}${f.service.memory ? ` with ${n(f.service.memory.activeOrgs)} organizations` : ''}; the peer ${n(f.peer.peakRssMb)} MiB`,
      'reported',
    ],
  ];
  const header = `| measure | ${all.map((f) => `${f.layout} layout`).join(' | ')} | target |`;
  const rule = `|---|${all.map(() => '---|').join('')}---|`;
  const body = rows
    .map(([name, cell, target]) => [name, all.map(cell), target] as const)
    .filter(([, cells]) => cells.some((c) => c))
    .map(([name, cells, target]) => `| ${name} | ${cells.join(' | ')} | ${target} |`);
  return [header, rule, ...body].join('\n');
}
