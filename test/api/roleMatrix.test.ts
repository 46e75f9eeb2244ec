// Every /v1 route against every kind of caller: the organization's people, service, ops, the
// agency's people, an unrelated organization's owner, service and ops tokens scoped to one
// organization (the sub-account's, or the agency's), and tokens limited by a scope claim. Allowed
// callers get past authorization (their bodies are empty, so they meet validation and change
// nothing); the rest get 401 or 403.
import { signToken } from '../../api/auth';
import { createOrg } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let agency: string;
let sub: string;
let other: string;
let tokens: Record<Caller, string>;

type Caller =
  | 'owner'
  | 'member'
  | 'service'
  | 'ops'
  | 'agencyOwner'
  | 'agencyMember'
  | 'otherOwner'
  | 'scopedService'
  | 'scopedOps'
  | 'agencyService'
  | 'agencyOps'
  | 'usageService'
  | 'usageOps'
  | 'portalService';
const CALLERS: Caller[] = ['owner', 'member', 'service', 'ops', 'agencyOwner', 'agencyMember', 'otherOwner', 'scopedService', 'scopedOps', 'agencyService', 'agencyOps', 'usageService', 'usageOps', 'portalService'];
// Tokens with a scope claim: a usage reporter's key (the sub-account's service, or an ops key for
// every organization) may report usage and read allowances only; a `portal` key may open portal sessions only.
// A scoped service or ops token acts on its own organization only: never on a sub-account of it,
// never on what is not one organization's (creating organizations, the sandbox).
const PEOPLE_AGENCY_OPS: Caller[] = ['owner', 'member', 'agencyOwner', 'agencyMember', 'ops', 'scopedOps'];

interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** {agency} and {sub} stand for the test's organizations. */
  path: string;
  allowed: Caller[];
}

const fill = (path: string) => path.replace('{agency}', agency).replace('{sub}', sub);

// Well-formed ids no row has: an allowed caller gets past authorization to a 404 and changes nothing.
const ENDPOINT = '/v1/orgs/{sub}/webhook-endpoints/we_000000000000000000000000';
const OWNER_OPS: Caller[] = ['owner', 'ops', 'scopedOps'];

const ROUTES: Route[] = [
  { method: 'POST', path: '/v1/orgs', allowed: ['ops'] },
  { method: 'GET', path: '/v1/orgs/{sub}', allowed: PEOPLE_AGENCY_OPS },
  { method: 'PUT', path: '/v1/orgs/{sub}/subscription', allowed: ['ops', 'scopedOps'] },
  { method: 'PUT', path: '/v1/orgs/{sub}/payment-method', allowed: ['owner', 'ops', 'scopedOps'] },
  { method: 'DELETE', path: '/v1/orgs/{sub}/payment-method', allowed: ['owner', 'ops', 'scopedOps'] },
  { method: 'PUT', path: '/v1/orgs/{sub}/auto-recharge', allowed: ['owner'] },
  { method: 'POST', path: '/v1/orgs/{sub}/top-ups', allowed: ['owner'] },
  { method: 'POST', path: '/v1/orgs/{sub}/usage', allowed: ['service', 'ops', 'scopedService', 'scopedOps', 'usageService', 'usageOps'] },
  { method: 'GET', path: '/v1/orgs/{sub}/agents/agent-1/allowance', allowed: ['owner', 'member', 'service', 'ops', 'scopedService', 'scopedOps', 'usageService', 'usageOps'] },
  { method: 'PUT', path: '/v1/orgs/{sub}/agents/agent-1', allowed: ['owner'] },
  { method: 'GET', path: '/v1/orgs/{sub}/billing', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/agents', allowed: PEOPLE_AGENCY_OPS },
  { method: 'POST', path: '/v1/orgs/{sub}/auto-recharge/simulate', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/forecast', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/ledger', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/usage/daily', allowed: PEOPLE_AGENCY_OPS },
  // The usage events themselves: whoever reads the billing, and the backend that reports them; voided by who reports them.
  { method: 'GET', path: '/v1/orgs/{sub}/usage', allowed: [...PEOPLE_AGENCY_OPS, 'service', 'scopedService', 'usageService', 'usageOps'] },
  { method: 'POST', path: '/v1/orgs/{sub}/usage/never-sent/void', allowed: ['service', 'ops', 'scopedService', 'scopedOps', 'usageService', 'usageOps'] },
  { method: 'GET', path: '/v1/price-book', allowed: CALLERS },
  // People open their own organization's portal; a backend (service, ops) any it may act for.
  { method: 'POST', path: '/v1/orgs/{sub}/portal-sessions', allowed: ['owner', 'member', 'service', 'ops', 'scopedService', 'scopedOps', 'portalService'] },
  { method: 'GET', path: '/v1/orgs/{sub}/events', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{agency}/sub-accounts', allowed: ['agencyOwner', 'agencyMember', 'ops', 'agencyOps'] },
  { method: 'PUT', path: '/v1/orgs/{agency}/sub-accounts/{sub}/auto-allocation', allowed: ['agencyOwner'] },
  { method: 'POST', path: '/v1/orgs/{sub}/webhook-endpoints', allowed: OWNER_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/webhook-endpoints', allowed: PEOPLE_AGENCY_OPS },
  { method: 'PATCH', path: ENDPOINT, allowed: OWNER_OPS },
  { method: 'DELETE', path: ENDPOINT, allowed: OWNER_OPS },
  { method: 'POST', path: `${ENDPOINT}/rotate-secret`, allowed: OWNER_OPS },
  { method: 'POST', path: `${ENDPOINT}/test`, allowed: OWNER_OPS },
  { method: 'GET', path: `${ENDPOINT}/deliveries`, allowed: PEOPLE_AGENCY_OPS },
  { method: 'POST', path: `${ENDPOINT}/deliveries/msg_00000000000000000000000000000000/retry`, allowed: OWNER_OPS },
  { method: 'PUT', path: '/v1/orgs/{sub}/notifications', allowed: OWNER_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/notifications', allowed: ['owner', 'member', 'ops', 'scopedOps'] },
  { method: 'POST', path: '/v1/sandbox/payment-intents/pi_unknown/confirm', allowed: ['ops'] },
  // The client secret decides (no intent has this one): every caller meets validation, then 404.
  { method: 'POST', path: '/v1/sandbox/payment-intents/pi_unknown/authenticate', allowed: CALLERS },
  { method: 'GET', path: '/v1/orgs/{sub}/payments', allowed: PEOPLE_AGENCY_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/payments/pay_unknown/receipt', allowed: PEOPLE_AGENCY_OPS },
  { method: 'POST', path: '/v1/orgs/{sub}/payments/pay_unknown/refunds', allowed: ['ops', 'scopedOps'] },
  { method: 'POST', path: '/v1/sandbox/payment-intents/pi_unknown/refund', allowed: ['ops'] },
  { method: 'POST', path: '/v1/sandbox/payment-intents/pi_unknown/dispute', allowed: ['ops'] },
  { method: 'POST', path: '/v1/sandbox/payment-intents/pi_unknown/dispute/close', allowed: ['ops'] },
  { method: 'POST', path: '/v1/orgs/{sub}/payment-method-sessions', allowed: ['owner', 'service', 'ops', 'scopedService', 'scopedOps'] },
  { method: 'GET', path: '/v1/orgs/{sub}/payment-methods', allowed: PEOPLE_AGENCY_OPS },
  { method: 'PUT', path: '/v1/orgs/{sub}/payment-methods/pm_unknown/default', allowed: OWNER_OPS },
  { method: 'DELETE', path: '/v1/orgs/{sub}/payment-methods/pm_unknown', allowed: OWNER_OPS },
  { method: 'POST', path: '/v1/orgs/{sub}/credit-grants', allowed: ['ops', 'scopedOps'] },
  { method: 'GET', path: '/v1/orgs/{sub}/credit-grants', allowed: PEOPLE_AGENCY_OPS },
  { method: 'POST', path: '/v1/orgs/{sub}/credit-grants/grant_00000000-0000-0000-0000-000000000000/void', allowed: ['ops', 'scopedOps'] },
  { method: 'PUT', path: '/v1/orgs/{sub}/alerts', allowed: OWNER_OPS },
  { method: 'GET', path: '/v1/orgs/{sub}/alerts', allowed: PEOPLE_AGENCY_OPS },
];

beforeAll(async () => {
  stack = await startStack();
  agency = await createOrg(stack, { planCredits: 100 });
  sub = await createOrg(stack, { planCredits: 100, parentId: agency });
  other = await createOrg(stack, { planCredits: 100 });
  tokens = {
    owner: stack.token('owner', sub),
    member: stack.token('member', sub),
    service: stack.token('service'),
    ops: stack.token('ops'),
    agencyOwner: stack.token('owner', agency),
    agencyMember: stack.token('member', agency),
    otherOwner: stack.token('owner', other),
    scopedService: stack.token('service', sub),
    scopedOps: stack.token('ops', sub),
    agencyService: stack.token('service', agency),
    agencyOps: stack.token('ops', agency),
    usageService: signToken({ sub: 'reporter', role: 'service', org: sub, scope: 'usage' }, stack.settings.authJwtSecret),
    usageOps: signToken({ sub: 'reporter', role: 'ops', org: '*', scope: 'usage' }, stack.settings.authJwtSecret),
    portalService: signToken({ sub: 'backend', role: 'service', org: sub, scope: 'portal' }, stack.settings.authJwtSecret),
  };
});
afterAll(() => stack.stop());

const cases = ROUTES.flatMap((route) => CALLERS.map((caller) => ({ route, caller, allowed: route.allowed.includes(caller) })));

test.each(cases.map((c) => [`${c.route.method} ${c.route.path}`, c.caller, c.allowed ? 'allowed' : 'denied', c] as const))(
  '%s as %s: %s',
  async (_name, _caller, _verdict, { route, caller, allowed }) => {
    const res = await stack.http.request(route.method, fill(route.path), tokens[caller], route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
    if (allowed) expect([401, 403]).not.toContain(res.status);
    else expect(res.status).toBe(403);
  },
);

test.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('%s without a token is 401', async (_name, route) => {
  const res = await stack.http.request(route.method, fill(route.path), undefined, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('unauthorized');
});
