// The table `npm run bench` prints.
import { ALLOWANCE_RATE, ORGS } from './config';
import type { LayoutFigures } from './layoutRun';
import { coreList, round, thousands } from './numbers';

type Row = [string, (f: LayoutFigures) => string, string];

/** The figures of every layout side by side, as a Markdown table. */
export function table(all: LayoutFigures[]): string {
  const n = (x: number | undefined) => (x === undefined ? '' : thousands(x));
  const lat = (l: { p50: number; p99: number }) => `p50 ${l.p50} ms, p99 ${l.p99} ms`;
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  const rows: Row[] = [
    ['peer, 50 organizations'.replace('50', String(ORGS)), (f) => (f.peer.manyOrgs ? `${n(f.peer.manyOrgs.eventsPerSecond)} events/s, ${lat(f.peer.manyOrgs.latencyMs)}` : ''), ''],
    [
      `ingestion, ${ORGS} organizations`,
      (f) => (f.service.manyOrgs ? `${n(f.service.manyOrgs.eventsPerSecond)} events/s: **${f.ratios.manyOrgsToPeer} × peer** (${met(f.ratios.manyOrgsToPeer >= 0.5)}), ${lat(f.service.manyOrgs.latencyMs)}` : ''),
      '≥ 0.5 × peer',
    ],
    ['peer, one hot organization', (f) => (f.peer.hotOrg ? `${n(f.peer.hotOrg.eventsPerSecond)} events/s, ${lat(f.peer.hotOrg.latencyMs)}` : ''), ''],
    [
      'ingestion, one hot organization',
      (f) =>
        f.service.hotOrg
          ? `${n(f.service.hotOrg.eventsPerSecond)} events/s: **${f.ratios.hotOrgToPeer} × peer** (${met(f.ratios.hotOrgToPeer >= 0.5 && f.service.hotOrg.status429 === 0)}), ${lat(f.service.hotOrg.latencyMs)}; 429: ${f.service.hotOrg.status429}, other non-202: ${f.service.hotOrg.notAccepted - f.service.hotOrg.status429}`
          : '',
      '≥ 0.5 × peer, no 429',
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
