// `npm run bench`: for each layout of the service (by default `npm start`'s single process, then
// the API and the worker as separate processes), starts a fresh stack (PostgreSQL database,
// Temporal dev server, the service, the plain-PostgreSQL peer), drives the service and the peer
// through HTTP with the same load generator, checks exactly-once, and prints the figures side by
// side, throughputs as ratios to the peer measured in the same run. Everything goes to
// bench/results/<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/paths';
import { ALLOWANCE_RATE, BATCH, chosen, CONCURRENCY, LAYOUTS, MEMORY_ORGS, options, ORGS, PHASES, ROUNDS, SCALE_ORGS, SECONDS, SIMULATE_ENTRIES, THRESHOLD_SAMPLES, type Layout, type Phase } from './config';
import { checkExactlyOnce } from './exactlyOnce';
import { LayoutRun, type LayoutFigures } from './layoutRun';
import { prepareStack } from './layoutStack';
import { round } from './numbers';
import { measureAllowance } from './phases/allowance';
import { measureHotOrg } from './phases/hotOrg';
import { measureManyOrgs } from './phases/manyOrgs';
import { measureMemory, recordPeakRss } from './phases/memory';
import { measureSimulation } from './phases/simulate';
import { measureScale } from './phases/scale';
import { measureThreshold } from './phases/threshold';
import { table } from './table';

/** Each phase's measurement; they run in the order of PHASES. */
const MEASURE: Record<Phase, (run: LayoutRun) => Promise<void>> = {
  many: measureManyOrgs,
  hot: measureHotOrg,
  threshold: measureThreshold,
  allowance: measureAllowance,
  memory: measureMemory,
  simulate: measureSimulation,
  scale: measureScale,
};

const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };

/** One layout, on a stack of its own: a fresh database and Temporal dev server, the service and the peer. */
async function measureLayout(layout: Layout, phases: Set<Phase>, profileDir: string | undefined): Promise<LayoutFigures> {
  const started = performance.now();
  console.log(`\n=== Layout "${layout}": ${layout === 'single' ? "npm start's one process (API and worker)" : 'the API and the worker as separate processes'} ===`);
  const stack = await prepareStack(layout, profileDir);
  try {
    await stack.start();
    const run = new LayoutRun(layout, stack);
    console.log(`Ingestion: ${CONCURRENCY} clients, ${BATCH} message events per request, ${SECONDS} s for each server in ${ROUNDS} alternating round(s)`);
    for (const phase of PHASES) if (phases.has(phase)) await MEASURE[phase](run);
    recordPeakRss(run);
    await checkExactlyOnce(run);
    console.log(`  layout "${layout}" measured in ${round((performance.now() - started) / 1000)} s`);
    return run.figures;
  } finally {
    await stack.stop();
  }
}

async function main() {
  const phases = new Set(chosen(options.phases!, PHASES, 'phase'));
  const layouts = chosen(options.layout ?? options.layouts!, LAYOUTS, 'layout');
  console.log(`Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`);
  const started = performance.now();

  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const profileDir = options.profile ? path.join(dir, `profile-${stamp}`) : undefined;

  const all: LayoutFigures[] = [];
  for (const layout of layouts) all.push(await measureLayout(layout, phases, profileDir));

  const results = {
    at,
    machine,
    config: { layouts, phases: [...phases], orgs: ORGS, concurrency: CONCURRENCY, batch: BATCH, seconds: SECONDS, rounds: ROUNDS, memoryOrgs: MEMORY_ORGS, scaleOrgs: SCALE_ORGS, thresholdSamples: THRESHOLD_SAMPLES, allowanceRate: ALLOWANCE_RATE, simulateEntries: SIMULATE_ENTRIES },
    durationSeconds: round((performance.now() - started) / 1000),
    layouts: Object.fromEntries(all.map((f) => [f.layout, f])),
    ...(profileDir ? { profileDir: path.relative(PROJECT_ROOT, profileDir) } : {}),
  };
  const file = path.join(dir, `${stamp}.json`);
  writeFileSync(file, JSON.stringify(results, null, 2));
  console.log(`\nFigures (${machine.cpus} cores, ${machine.cpuModel}; Temporal dev server, PostgreSQL, service, peer and load generator on one machine; ${results.durationSeconds} s)\n`);
  console.log(table(all));
  console.log(`\nWritten to ${path.relative(PROJECT_ROOT, file)}`);
  if (profileDir) console.log(`CPU profiles of the service (open in Chrome DevTools): ${path.relative(PROJECT_ROOT, profileDir)}`);

  const failed = all.filter((f) => !f.checks.exactlyOnce);
  if (failed.length) console.error(`\n*** EXACTLY-ONCE FAILED (${failed.map((f) => f.layout).join(', ')}): events accepted, rows in usage_events and credits debited differ ***`);
  const throttled = all.filter((f) => !f.checks.no429);
  if (throttled.length) console.error(`\n*** 429 ANSWERS to usage (${throttled.map((f) => f.layout).join(', ')}): there must be none ***`);
  if (failed.length || throttled.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
