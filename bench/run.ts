// `npm run bench`: starts the stack (Temporal dev server, the service, a plain-PostgreSQL baseline),
// drives both through HTTP with concurrent clients, prints the figures as ratios, checks
// exactly-once, and writes everything to bench/results/<time>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { signToken } from '../api/auth';
import { PROJECT_ROOT } from '../config/paths';
import { migrateDatabase } from '../db/migrate';
import type { BillingSummary } from '../domain/summary';
import { findTemporalCli, installTemporalCli, startDevServer } from '../worker/temporalCli';
import { workflowIdFor } from '../workflows/messages';
import { ChildService, cpuSeconds, freePort, pidsMatching, waitUntil } from './harness';

const { values: opts } = parseArgs({
  options: {
    orgs: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    batch: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    'memory-orgs': { type: 'string', default: '1000' },
    'threshold-samples': { type: 'string', default: '20' },
    phases: { type: 'string', default: 'many,hot,threshold,allowance,memory' },
    profile: { type: 'boolean', default: false },
    layout: { type: 'string', default: 'split' },
  },
});
const ORGS = Number(opts.orgs);
const CONCURRENCY = Number(opts.concurrency);
const BATCH = Number(opts.batch);
const SECONDS = Number(opts.seconds);
const MEMORY_ORGS = Number(opts['memory-orgs']);
const THRESHOLD_SAMPLES = Number(opts['threshold-samples']);

const SECRET = 'bench-secret';
const SERVER = process.env.BENCH_POSTGRES_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASE = 'credits_billing_bench';
const RUN = Date.now().toString(36);

const ops = signToken({ sub: 'bench', role: 'ops', org: '*' }, SECRET, 86400);
const service = signToken({ sub: 'bench', role: 'service', org: '*' }, SECRET, 86400);

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
};
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function call(base: string, method: string, route: string, token: string | undefined, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function expectOk(promise: Promise<{ status: number; body: any }>): Promise<any> {
  const res = await promise;
  if (res.status >= 300) throw new Error(`HTTP ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Runs `task` on `concurrency` workers over `items`. */
async function inParallel<T>(items: T[], concurrency: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await task(items[next++]);
  }));
}

/** Where the CPU goes: average cores each part of the machine used while `work` ran. */
async function cpuDuring<T>(service: Record<string, number>, work: () => Promise<T>): Promise<{ result: T; coresUsed: Record<string, number> }> {
  const groups = (): Record<string, number[]> => ({
    ...Object.fromEntries(Object.entries(service).map(([name, pid]) => [name, [pid]])),
    temporal: pidsMatching((cmdline) => cmdline.includes('start-dev')),
    postgres: pidsMatching((_cmdline, comm) => comm === 'postgres'),
  });
  const before = Object.fromEntries(Object.entries(groups()).map(([name, pids]) => [name, new Map(pids.map((pid) => [pid, cpuSeconds(pid)]))]));
  const loadBefore = process.cpuUsage();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const load = process.cpuUsage(loadBefore);
  const coresUsed: Record<string, number> = { loadGenerator: round((load.user + load.system) / 1e6 / seconds, 2) };
  for (const [name, pids] of Object.entries(groups())) {
    // A process started during the work (a new database connection) counts from zero.
    const used = pids.reduce((sum, pid) => sum + cpuSeconds(pid) - (before[name].get(pid) ?? 0), 0);
    coresUsed[name] = round(used / seconds, 2);
  }
  return { result, coresUsed };
}

interface IngestResult {
  eventsPerSecond: number;
  requests: number;
  errors: number;
  latencyMs: { p50: number; p99: number };
  acceptedByOrg: Map<string, number>;
}

/** Concurrent clients posting batches of one-credit events round-robin over `orgIds` for SECONDS. */
async function ingest(base: string, orgIds: string[], tag: string): Promise<IngestResult> {
  const latencies: number[] = [];
  const acceptedByOrg = new Map<string, number>();
  let errors = 0;
  let seq = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const n = seq++;
        const orgId = orgIds[n % orgIds.length];
        const events = Array.from({ length: BATCH }, (_, i) => ({ id: `${tag}-${RUN}-${n}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        const t0 = performance.now();
        const res = await call(base, 'POST', `/v1/orgs/${orgId}/usage`, service, { events }).catch(() => ({ status: 0, body: undefined }));
        latencies.push(performance.now() - t0);
        if (res.status === 202) acceptedByOrg.set(orgId, (acceptedByOrg.get(orgId) ?? 0) + BATCH);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const accepted = [...acceptedByOrg.values()].reduce((a, b) => a + b, 0);
  return {
    eventsPerSecond: accepted / elapsed,
    requests: latencies.length,
    errors,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    acceptedByOrg,
  };
}

async function createOrgs(base: string, prefix: string, count: number, setup: (orgId: string) => Promise<void> = async () => undefined): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${RUN}-${i}`);
  const periodEnd = new Date(Date.now() + 30 * 86400_000).toISOString();
  await inParallel(ids, 16, async (id) => {
    await expectOk(call(base, 'POST', '/v1/orgs', ops, { id, name: id }));
    await expectOk(call(base, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits: 1_000_000_000, currentPeriodEnd: periodEnd }));
    await setup(id);
  });
  return ids;
}

const PHASES = ['many', 'hot', 'threshold', 'allowance', 'memory'] as const;
type Phase = (typeof PHASES)[number];

function phasesToRun(list: string): Set<Phase> {
  const chosen = list.split(',').map((p) => p.trim());
  const unknown = chosen.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`unknown phase(s) ${unknown.join(', ')}; choose from ${PHASES.join(', ')}`);
  return new Set(chosen as Phase[]);
}

/** How long the organization's workflow runs grew. */
async function historyOf(temporal: Client, orgId: string) {
  const history = { runs: 0, maxEvents: 0, maxBytes: 0 };
  for await (const run of temporal.workflow.list({ query: `WorkflowId = '${workflowIdFor(orgId)}'` })) {
    const { historyLength, historySize } = await temporal.workflow.getHandle(run.workflowId, run.runId).describe();
    history.runs++;
    history.maxEvents = Math.max(history.maxEvents, historyLength);
    history.maxBytes = Math.max(history.maxBytes, historySize ?? 0);
  }
  return history;
}

async function main() {
  const phases = phasesToRun(opts.phases!);
  const machine = { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` };
  console.log(`Machine: ${machine.cpus} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, Node ${machine.node}`);

  // A fresh database for the service and the baseline alike.
  const admin = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await admin.end();
  const databaseUrl = `${SERVER}/${DATABASE}`;
  await migrateDatabase(databaseUrl);
  const db = new pg.Pool({ connectionString: databaseUrl });
  await db.query('CREATE TABLE bench_baseline_events (org_id text, id text, credits bigint, PRIMARY KEY (org_id, id))');
  await db.query('CREATE TABLE bench_baseline_balances (org_id text PRIMARY KEY, credits bigint NOT NULL)');

  const dir = path.join(PROJECT_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const at = new Date().toISOString();
  const stamp = at.replace(/[:.]/g, '-');
  const profileDir = path.join(dir, `profile-${stamp}`);
  const profileArgs = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];

  const devServer = await startDevServer({ cliPath: findTemporalCli(process.env.TEMPORAL_CLI_PATH) ?? installTemporalCli() });
  const [servicePort, baselinePort] = [await freePort(), await freePort()];
  const env = { ...process.env, NODE_ENV: 'production', DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: devServer.address, AUTH_JWT_SECRET: SECRET, STRIPE_WEBHOOK_SECRET: 'whsec_bench', LOG_LEVEL: 'warn' };
  // The API and the worker as separate processes, as docker-compose runs them, or (--layout single) one process as `npm start` runs it.
  if (opts.layout !== 'split' && opts.layout !== 'single') throw new Error('--layout is split or single');
  const split = opts.layout === 'split';
  const serviceEnv = { ...env, PORT: String(servicePort) };
  const serviceUrl = `http://127.0.0.1:${servicePort}`;
  const app = new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', split ? 'api/main.js' : 'scripts/start.js')], serviceEnv, serviceUrl);
  const worker = split ? new ChildService([...profileArgs, path.join(PROJECT_ROOT, 'dist', 'worker', 'main.js')], serviceEnv, serviceUrl) : undefined;
  const baseline = new ChildService([path.join(PROJECT_ROOT, 'dist', 'bench', 'baselineServer.js')], { ...env, PORT: String(baselinePort) }, `http://127.0.0.1:${baselinePort}`);
  await Promise.all([app.start(), baseline.start()]);
  // The worker has no HTTP port to wait for; creating the first organizations (updates) waits for it.
  await worker?.start({ waitUntilReady: false });
  const servicePids: Record<string, number> = worker ? { api: app.pid!, worker: worker.pid! } : { service: app.pid! };
  const servicePeakRssMb = () => app.peakRssMb() + (worker?.peakRssMb() ?? 0);
  const connection = await Connection.connect({ address: devServer.address });
  const temporal = new Client({ connection });

  try {
    const accepted = new Map<string, number>();
    const addAccepted = (byOrg: Map<string, number>) => byOrg.forEach((n, id) => accepted.set(id, (accepted.get(id) ?? 0) + n));
    const results: Record<string, unknown> = { at, machine, config: { layout: opts.layout, phases: [...phases], orgs: ORGS, concurrency: CONCURRENCY, batch: BATCH, seconds: SECONDS, memoryOrgs: MEMORY_ORGS } };
    const lines: string[] = [];
    const ms = (l: { p50: number; p99: number }) => `p50 ${round(l.p50)} ms, p99 ${round(l.p99)} ms`;

    // The workflows apply usage at once and commit it to PostgreSQL behind.
    type Row = { org_id: string; applied: string; events: string };
    const appliedRows = async () =>
      (
        await db.query<Row>(
          `SELECT u.org_id, COALESCE((SELECT -SUM(l.credits) FROM ledger_entries l WHERE l.org_id = u.org_id AND l.kind = 'usage'), 0) AS applied, COUNT(*) AS events
           FROM usage_events u WHERE u.org_id = ANY($1::text[]) GROUP BY u.org_id`,
          [[...accepted.keys()]],
        )
      ).rows;
    /** Waits until PostgreSQL holds every event accepted so far (or two minutes pass); returns the rows. */
    const caughtUp = () =>
      waitUntil(async () => {
        const current = await appliedRows();
        const total = current.reduce((sum, r) => sum + Number(r.events), 0);
        const expected = [...accepted.values()].reduce((a, b) => a + b, 0);
        if (total < expected) throw new Error(`committed ${total} of ${expected} so far`);
        return current;
      }, 120_000, 500).catch(() => appliedRows());

    console.log(`\nIngestion: ${CONCURRENCY} clients, ${BATCH} events per request, ${SECONDS} s per phase`);
    const orgs = await createOrgs(app.url, 'many', ORGS);
    const cores = (used: Record<string, number>) => Object.entries(used).map(([name, n]) => `${name} ${n}`).join(', ');
    const { result: baselineMany, coresUsed: baselineCores } = await cpuDuring({ service: baseline.pid! }, () => ingest(baseline.url, orgs, 'baseline'));
    results.baseline = { eventsPerSecond: round(baselineMany.eventsPerSecond), latencyMs: baselineMany.latencyMs, errors: baselineMany.errors, coresUsed: baselineCores };
    lines.push(`plain-PostgreSQL baseline   ${round(baselineMany.eventsPerSecond)} events/s   (${ms(baselineMany.latencyMs)})`);
    lines.push(`                            cores used: ${cores(baselineCores)} (the baseline server as "service")`);
    const ratios: Record<string, number> = {};
    results.ratios = ratios;

    if (phases.has('many')) {
      const { result: many, coresUsed } = await cpuDuring(servicePids, () => ingest(app.url, orgs, 'many'));
      addAccepted(many.acceptedByOrg);
      ratios.manyOrgsToBaseline = round(many.eventsPerSecond / baselineMany.eventsPerSecond, 2);
      results.manyOrgs = { eventsPerSecond: round(many.eventsPerSecond), latencyMs: many.latencyMs, errors: many.errors, coresUsed };
      lines.push(`service, ${ORGS} orgs          ${round(many.eventsPerSecond)} events/s   ratio ${ratios.manyOrgsToBaseline} of baseline (${ms(many.latencyMs)})`);
      lines.push(`                            cores used: ${cores(coresUsed)}`);
    }

    if (phases.has('hot')) {
      const [hotOrg] = await createOrgs(app.url, 'hot', 1);
      const { result: hot, coresUsed } = await cpuDuring(servicePids, () => ingest(app.url, [hotOrg], 'hot'));
      addAccepted(hot.acceptedByOrg);
      // Continue-as-new must keep every run short while the load goes on, not only after it.
      const history = await historyOf(temporal, hotOrg);
      ratios.hotOrgToBaseline = round(hot.eventsPerSecond / baselineMany.eventsPerSecond, 2);
      results.hotOrg = { eventsPerSecond: round(hot.eventsPerSecond), latencyMs: hot.latencyMs, errors: hot.errors, history, coresUsed };
      lines.push(`service, one hot org        ${round(hot.eventsPerSecond)} events/s   ratio ${ratios.hotOrgToBaseline} of baseline (${ms(hot.latencyMs)}; ${hot.errors} requests not accepted)`);
      lines.push(`                            cores used: ${cores(coresUsed)}`);
      lines.push(`                            its workflow: ${history.runs} runs, the longest ${history.maxEvents} events (${round(history.maxBytes / 2 ** 20, 2)} MiB)`);
    }

    if (phases.has('threshold')) {
      console.log(`Threshold crossing to credits visible: ${THRESHOLD_SAMPLES} samples`);
      const thresholdOrgs = await createOrgs(app.url, 'threshold', THRESHOLD_SAMPLES, async (id) => {
        const owner = signToken({ sub: 'bench', role: 'owner', org: id }, SECRET, 86400);
        await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/subscription`, ops, { status: 'active', planCredits: 100, currentPeriodEnd: new Date(Date.now() + 30 * 86400_000).toISOString() }));
        await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/payment-method`, owner, { paymentMethodId: 'pm_card_visa' }));
        await expectOk(call(app.url, 'PUT', `/v1/orgs/${id}/auto-recharge`, owner, { enabled: true, thresholdCredits: 50, rechargeCredits: 500, maxRechargesPerMonth: 5 }));
      });
      const crossings: number[] = [];
      for (const id of thresholdOrgs) {
        const events = Array.from({ length: 60 }, (_, i) => ({ id: `cross-${RUN}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        const t0 = performance.now();
        await expectOk(call(app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
        accepted.set(id, 60);
        await waitUntil(async () => ((await expectOk(call(app.url, 'GET', `/v1/orgs/${id}/billing`, ops))) as BillingSummary).topUpCredits === 500, 30_000, 2);
        crossings.push(performance.now() - t0);
      }
      results.thresholdToCreditMs = { p50: round(percentile(crossings, 50)), max: round(Math.max(...crossings)) };
      lines.push(`threshold to credits        p50 ${round(percentile(crossings, 50))} ms, max ${round(Math.max(...crossings))} ms`);
    }

    if (phases.has('allowance')) {
      console.log('Allowance checks, alone and while usage streams in');
      const checkAllowance = async (id: string, into: number[]) => {
        const t0 = performance.now();
        await expectOk(call(app.url, 'GET', `/v1/orgs/${id}/agents/bench-agent/allowance`, service));
        into.push(performance.now() - t0);
      };
      // Alone: nothing else running, not even a backlog of earlier phases being committed.
      await caughtUp();
      // A warm-up round, not counted: the API's first checks open its database connections.
      await inParallel(orgs.slice(0, 16), 8, (id) => checkAllowance(id, []));
      const quiet: number[] = [];
      await inParallel(Array.from({ length: 1000 }, (_, i) => orgs[i % orgs.length]), 8, (id) => checkAllowance(id, quiet));
      // Agents check before each conversation and report after it: checks meet the usage they follow.
      const underLoad: number[] = [];
      let streaming = true;
      const checkers = Array.from({ length: 8 }, async (_, k) => {
        for (let i = k; streaming; i += 8) await checkAllowance(orgs[i % orgs.length], underLoad);
      });
      const during = await ingest(app.url, orgs, 'allowance');
      streaming = false;
      await Promise.all(checkers);
      addAccepted(during.acceptedByOrg);
      const figures = (l: number[]) => ({ p50: round(percentile(l, 50), 2), p99: round(percentile(l, 99), 2), checks: l.length });
      results.allowanceMs = { quiet: figures(quiet), underLoad: { ...figures(underLoad), ingestionEventsPerSecond: round(during.eventsPerSecond) } };
      lines.push(`allowance check             p50 ${round(percentile(quiet, 50), 2)} ms, p99 ${round(percentile(quiet, 99), 2)} ms`);
      lines.push(
        `  while ${round(during.eventsPerSecond)} events/s stream in: p50 ${round(percentile(underLoad, 50), 2)} ms, p99 ${round(percentile(underLoad, 99), 2)} ms (${underLoad.length} checks)`,
      );
    }

    if (phases.has('memory')) {
      console.log(`Memory with ${MEMORY_ORGS} organizations active`);
      const rssBeforeMb = servicePeakRssMb();
      const memoryOrgs = await createOrgs(app.url, 'mem', MEMORY_ORGS);
      await inParallel(memoryOrgs, 16, async (id) => {
        const events = Array.from({ length: 10 }, (_, i) => ({ id: `mem-${RUN}-${i}`, agentId: 'bench-agent', meter: 'message', quantity: 1 }));
        await expectOk(call(app.url, 'POST', `/v1/orgs/${id}/usage`, service, { events }));
        accepted.set(id, 10);
      });
      const peakRssMb = servicePeakRssMb();
      const activeOrgs = accepted.size;
      results.memory = { activeOrgs, rssBeforeMb: round(rssBeforeMb), peakRssMb: round(peakRssMb) };
      lines.push(`memory                      peak RSS ${round(peakRssMb)} MiB with ${activeOrgs} orgs active (${round(rssBeforeMb)} MiB before the ${MEMORY_ORGS})`);
    }

    console.log('Exactly-once check');
    const totalAccepted = [...accepted.values()].reduce((a, b) => a + b, 0);
    const committedAt = performance.now();
    const rows = await caughtUp();
    const commitLagMs = performance.now() - committedAt;
    const applied = new Map(rows.map((r) => [r.org_id, { credits: Number(r.applied), events: Number(r.events) }]));
    const mismatches = [...accepted].filter(([id, n]) => applied.get(id)?.credits !== n || applied.get(id)?.events !== n);
    const totalApplied = [...applied.values()].reduce((a, b) => a + b.credits, 0);
    const exactlyOnce = { ok: mismatches.length === 0, orgsChecked: accepted.size, eventsAccepted: totalAccepted, creditsApplied: totalApplied, commitLagMs: round(commitLagMs), mismatches: mismatches.slice(0, 5) };
    results.exactlyOnce = exactlyOnce;
    lines.push(`exactly-once                ${exactlyOnce.ok ? 'OK' : 'FAILED'}: ${totalAccepted} events accepted, ${totalApplied} credits applied, ${accepted.size} orgs (ledger caught up ${round(commitLagMs / 1000)} s after the load)`);

    if (opts.profile) results.profileDir = path.relative(PROJECT_ROOT, profileDir);
    const file = path.join(dir, `${stamp}.json`);
    writeFileSync(file, JSON.stringify(results, null, 2));
    console.log(`\nFigures (${machine.cpus} cores; Temporal dev server, PostgreSQL, service and load generator on one machine)`);
    for (const line of lines) console.log(`  ${line}`);
    console.log(`Written to ${path.relative(PROJECT_ROOT, file)}`);
    if (!exactlyOnce.ok) process.exitCode = 1;
  } finally {
    await connection.close();
    await Promise.all([app.stop(), baseline.stop(), worker?.stop()]);
    if (opts.profile) console.log(`CPU profile of the service (open in Chrome DevTools): ${path.relative(PROJECT_ROOT, profileDir)}`);
    await devServer.teardown();
    await db.end();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
