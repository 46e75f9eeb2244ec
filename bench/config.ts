// The bench's command-line options and the constants every part of it shares.
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';

export const { values: options } = parseArgs({
  options: {
    orgs: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '32' },
    batch: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    'memory-orgs': { type: 'string', default: '1000' },
    'scale-orgs': { type: 'string', default: '10000' },
    'allowance-rate': { type: 'string', default: '200' },
    'threshold-samples': { type: 'string', default: '20' },
    phases: { type: 'string', default: 'many,hot,threshold,allowance,memory,simulate' },
    'simulate-entries': { type: 'string', default: '300000' },
    layouts: { type: 'string', default: 'single,split' },
    layout: { type: 'string' }, // one layout: the same as --layouts <it>
    profile: { type: 'boolean', default: false },
  },
});
export const ORGS = Number(options.orgs);
export const CONCURRENCY = Number(options.concurrency);
export const BATCH = Number(options.batch);
export const SECONDS = Number(options.seconds);
export const ROUNDS = Math.max(1, Number(options.rounds));
export const WARM_UP_SECONDS = Math.min(1, SECONDS);
export const ALLOWANCE_RATE = Number(options['allowance-rate']);
export const MEMORY_ORGS = Number(options['memory-orgs']);
export const SCALE_ORGS = Number(options['scale-orgs']);
export const THRESHOLD_SAMPLES = Number(options['threshold-samples']);
export const SIMULATE_ENTRIES = Number(options['simulate-entries']);

export const SECRET = 'bench-secret';
export const SERVER = process.env.BENCH_POSTGRES_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432';
// BENCH_DATABASE lets a second bench run beside another without dropping its database.
export const DATABASE = process.env.BENCH_DATABASE ?? 'credits_billing_bench';
export const RUN = Date.now().toString(36);

export const ops = signToken({ sub: 'bench', role: 'ops', org: '*' }, SECRET, 86400);
export const service = signToken({ sub: 'bench', role: 'service', org: '*' }, SECRET, 86400);

/** An organization owner's token. */
export const ownerOf = (orgId: string) => signToken({ sub: 'bench', role: 'owner', org: orgId }, SECRET, 86400);

export const PHASES = ['many', 'hot', 'threshold', 'allowance', 'memory', 'simulate', 'scale'] as const;
export type Phase = (typeof PHASES)[number];
export const LAYOUTS = ['single', 'split'] as const;
export type Layout = (typeof LAYOUTS)[number];

export function chosen<T extends string>(list: string, from: readonly T[], what: string): T[] {
  const picked = list.split(',').map((p) => p.trim()).filter(Boolean);
  const unknown = picked.filter((p) => !(from as readonly string[]).includes(p));
  if (unknown.length || !picked.length) throw new Error(`unknown ${what}(s) "${list}"; choose from ${from.join(', ')}`);
  return [...new Set(picked)] as T[];
}
