// Authentication through HTTP (spec §10): Bearer JWT, HS256 with AUTH_JWT_SECRET, claims sub/role/org, exp honoured.
import jwt from 'jsonwebtoken';
import { createOrg } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
let orgId: string;
let path: string;
beforeAll(async () => {
  stack = await startStack();
  orgId = await createOrg(stack, { paymentMethodId: null });
  path = `/v1/orgs/${orgId}/billing`;
});
afterAll(() => stack.stop());

const secret = () => stack.settings.authJwtSecret;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** GET the billing summary with exactly this Authorization header (or none). */
async function billingWith(authorization?: string) {
  return stack.http.request('GET', path, undefined, undefined, authorization === undefined ? {} : { authorization });
}

test('a well-formed token is accepted (the control for the refusals below)', async () => {
  const token = jwt.sign({ sub: 'ops-user', role: 'ops', org: '*' }, secret(), { algorithm: 'HS256', expiresIn: 60 });
  expect((await billingWith(`Bearer ${token}`)).status).toBe(200);
  const owner = jwt.sign({ sub: 'owner-user', role: 'owner', org: orgId }, secret(), { algorithm: 'HS256', expiresIn: 60 });
  expect((await billingWith(`Bearer ${owner}`)).status).toBe(200);
});

test('no Authorization header is 401 unauthorized', async () => {
  expectError(await billingWith(), 401, 'unauthorized');
  expectError(await stack.http.post('/v1/orgs', undefined, { id: 'no-auth', name: 'x' }), 401, 'unauthorized');
});

test('an Authorization header that is not a bearer token is 401', async () => {
  const token = stack.token('ops');
  expectError(await billingWith(`Basic ${Buffer.from('ops:ops').toString('base64')}`), 401, 'unauthorized');
  expectError(await billingWith(token), 401, 'unauthorized');
  expectError(await billingWith('Bearer '), 401, 'unauthorized');
});

test('a garbage token is 401', async () => {
  expectError(await billingWith('Bearer garbage'), 401, 'unauthorized');
  expectError(await billingWith('Bearer a.b.c'), 401, 'unauthorized');
});

test('a token signed with another secret is 401', async () => {
  const token = jwt.sign({ sub: 'ops-user', role: 'ops', org: '*' }, 'another-secret', { algorithm: 'HS256', expiresIn: 60 });
  expectError(await billingWith(`Bearer ${token}`), 401, 'unauthorized');
});

test('an unsigned token (alg none) and a token of another algorithm are 401', async () => {
  const unsigned = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'ops-user', role: 'ops', org: '*', exp: nowSeconds() + 60 })}.`;
  expectError(await billingWith(`Bearer ${unsigned}`), 401, 'unauthorized');
  const hs512 = jwt.sign({ sub: 'ops-user', role: 'ops', org: '*' }, secret(), { algorithm: 'HS512', expiresIn: 60 });
  expectError(await billingWith(`Bearer ${hs512}`), 401, 'unauthorized');
});

test('an expired token is 401', async () => {
  const token = jwt.sign({ sub: 'ops-user', role: 'ops', org: '*', exp: nowSeconds() - 60 }, secret(), { algorithm: 'HS256' });
  expectError(await billingWith(`Bearer ${token}`), 401, 'unauthorized');
});

test.each([
  ['a role that is not owner/member/service/ops', { sub: 'u', role: 'admin', org: '*' }],
  ['a role that is not owner/member/service/ops, scoped to the org', { sub: 'u', role: 'superuser', org: 'ORG' }],
  ['no role', { sub: 'u', org: '*' }],
  ['no org', { sub: 'u', role: 'ops' }],
  ['no sub', { role: 'ops', org: '*' }],
  ['an owner for every organization (org *)', { sub: 'u', role: 'owner', org: '*' }],
  ['a member for every organization (org *)', { sub: 'u', role: 'member', org: '*' }],
])('a token with %s is 401', async (_name, claims: Record<string, string>) => {
  const resolved = { ...claims, ...(claims.org === 'ORG' ? { org: orgId } : {}) };
  const token = jwt.sign(resolved, secret(), { algorithm: 'HS256', expiresIn: 60 });
  expectError(await billingWith(`Bearer ${token}`), 401, 'unauthorized');
});

test('owner and member tokens without exp are 401; service and ops tokens may omit it', async () => {
  for (const role of ['owner', 'member']) {
    const token = jwt.sign({ sub: `${role}-user`, role, org: orgId }, secret(), { algorithm: 'HS256' });
    const res = await billingWith(`Bearer ${token}`);
    expectError(res, 401, 'unauthorized');
    expect(res.body.error.message).toMatch(/exp/);
  }
  const ops = jwt.sign({ sub: 'ops-user', role: 'ops', org: '*' }, secret(), { algorithm: 'HS256' });
  expect((await billingWith(`Bearer ${ops}`)).status).toBe(200);
  const service = jwt.sign({ sub: 'service-user', role: 'service', org: '*' }, secret(), { algorithm: 'HS256' });
  const allowance = await stack.http.get(`/v1/orgs/${orgId}/agents/agent-1/allowance`, service);
  expect(allowance.status).toBe(200);
});

test('/healthz answers 200 without authentication', async () => {
  const res = await stack.http.get('/healthz');
  expect(res.status).toBe(200);
});

test('/readyz answers 200 with status ready without authentication', async () => {
  const res = await stack.http.get('/readyz');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ready' });
});
