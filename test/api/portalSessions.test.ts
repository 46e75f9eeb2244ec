// Portal sessions through the API: who may open one in which role, the one-time code, the cookie
// standing for a caller exactly as a JWT would, the CSRF header, expiry, the page's headers, the
// daily usage series, the price book and the sandbox's 3-D Secure by client secret.
import { createOrg, expectStatus, messages, postUsage } from '../helpers/billing';
import { startStack, type Stack } from '../helpers/stack';

let stack: Stack;
let org: string;
let other: string;

beforeAll(async () => {
  stack = await startStack({ PUBLIC_URL: 'https://billing.example.com/', PORTAL_FRAME_ANCESTORS: 'https://app.example.com' });
  org = await createOrg(stack, { planCredits: 1000 });
  other = await createOrg(stack, { planCredits: 1000 });
});
afterAll(() => stack.stop());

const codeOf = (url: string) => new URL(url).searchParams.get('code')!;

async function open(role: 'owner' | 'member', token = stack.token('service')) {
  return expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, token, { role }), 201);
}

/** Exchanges a link's code; answers the cookie pair to send back. */
async function exchange(url: string): Promise<{ status: number; cookie: string; setCookie: string | null; body: any }> {
  const res = await fetch(`${stack.api.url}/portal/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: codeOf(url) }) });
  const setCookie = res.headers.get('set-cookie');
  return { status: res.status, cookie: setCookie?.split(';')[0] ?? '', setCookie, body: await res.json() };
}

const withCookie = (cookie: string, path: string, init: RequestInit = {}) =>
  fetch(`${stack.api.url}${path}`, { ...init, headers: { cookie, ...(init.body ? { 'content-type': 'application/json' } : {}), ...(init.headers as Record<string, string>) } });

test('a link is PUBLIC_URL/portal/?code=… and lives 60 s', async () => {
  const { url, expiresAt } = await open('owner');
  expect(url).toMatch(/^https:\/\/billing\.example\.com\/portal\/\?code=[A-Za-z0-9_-]{43}$/);
  expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(50_000);
  expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(60_000);
  const { rows } = await stack.db.query('SELECT code_hash FROM portal_codes');
  expect(rows.map((r) => r.code_hash)).not.toContain(codeOf(url));
});

test('who chooses the role: service and ops choose, people get their own, a member cannot ask for owner', async () => {
  await open('owner', stack.token('ops'));
  const member = stack.token('member', org);
  await expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, member, { role: 'owner' }), 403);
  const mine = await expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, member, {}), 201);
  expect((await exchange(mine.url)).body).toEqual({ org, role: 'member', stripePublishableKey: null });
  const owners = await expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, stack.token('owner', org), {}), 201);
  expect((await exchange(owners.url)).body).toEqual({ org, role: 'owner', stripePublishableKey: null });
  await expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, stack.token('owner', other), {}), 403);
  await expectStatus(stack.http.post(`/v1/orgs/${org}/portal-sessions`, stack.token('service'), { role: 'ops' }), 422);
});

test('the code works once; the cookie is HttpOnly, SameSite=Strict, Path=/ (Secure behind https)', async () => {
  const { url } = await open('owner');
  const first = await exchange(url);
  expect(first.status).toBe(201);
  expect(first.setCookie).toMatch(/^portal_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=3600; Secure$/);
  const again = await exchange(url);
  expect(again.status).toBe(401);
  expect(again.body.error.code).toBe('portal_link_invalid');
  expect(again.setCookie).toBeNull();
});

test('an expired code is refused', async () => {
  const { url } = await open('owner');
  await stack.db.query("UPDATE portal_codes SET expires_at = now() - interval '1 second' WHERE org_id = $1 AND used_at IS NULL", [org]);
  expect((await exchange(url)).status).toBe(401);
});

test("the cookie is the session's caller: its own organization only, its role's rules, X-Portal on changes", async () => {
  const member = await exchange((await open('member')).url);
  expect((await withCookie(member.cookie, `/v1/orgs/${org}/billing`)).status).toBe(200);
  expect((await withCookie(member.cookie, `/v1/orgs/${other}/billing`)).status).toBe(403);
  const settings = JSON.stringify({ enabled: false, thresholdCredits: 10, rechargeCredits: 500, maxRechargesPerMonth: 1 });
  const refused = await withCookie(member.cookie, `/v1/orgs/${org}/auto-recharge`, { method: 'PUT', body: settings, headers: { 'x-portal': '1' } });
  expect(refused.status).toBe(403);
  expect(((await refused.json()) as any).error.message).toBe('Only the organization owner can manage auto-recharge.');

  const owner = await exchange((await open('owner')).url);
  const noHeader = await withCookie(owner.cookie, `/v1/orgs/${org}/auto-recharge`, { method: 'PUT', body: settings });
  expect(noHeader.status).toBe(403);
  expect(((await noHeader.json()) as any).error.code).toBe('portal_header_required');
  expect((await withCookie(owner.cookie, `/v1/orgs/${org}/auto-recharge`, { method: 'PUT', body: settings, headers: { 'x-portal': '1' } })).status).toBe(200);
  expect((await withCookie(owner.cookie, '/portal/session')).status).toBe(200);
});

test('an expired or forged session gets 401 and nothing else', async () => {
  const owner = await exchange((await open('owner')).url);
  expect((await withCookie('portal_session=forged-value', `/v1/orgs/${org}/billing`)).status).toBe(401);
  await stack.db.query("UPDATE portal_sessions SET expires_at = now() - interval '1 second' WHERE org_id = $1", [org]);
  const expired = await withCookie(owner.cookie, `/v1/orgs/${org}/billing`);
  expect(expired.status).toBe(401);
  expect((await withCookie(owner.cookie, '/portal/session')).status).toBe(401);
});

test('the page is served with a CSP without inline script and the configured frame ancestors', async () => {
  const res = await fetch(`${stack.api.url}/portal/`);
  expect(res.status).toBe(200);
  const csp = res.headers.get('content-security-policy')!;
  expect(csp).toContain("script-src 'self';");
  expect(csp).not.toContain('unsafe-inline');
  expect(csp).toContain('frame-ancestors https://app.example.com');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  const html = await res.text();
  expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
});

test('GET usage/daily: credits used per day, plan and wallet apart, every day of the range', async () => {
  const fresh = await createOrg(stack, { planCredits: 5 });
  await expectStatus(stack.http.post(`/v1/orgs/${fresh}/top-ups`, stack.token('owner', fresh), { credits: 500 }, { 'Idempotency-Key': `daily-${fresh}` }), 201);
  await postUsage(stack, fresh, messages(8));
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const { days } = await expectStatus(stack.http.get(`/v1/orgs/${fresh}/usage/daily?from=${yesterday}&to=${today}`, stack.token('member', fresh)), 200);
  expect(days).toEqual([
    { date: yesterday, planCredits: 0, grantCredits: 0, walletCredits: 0 },
    { date: today, planCredits: 5, grantCredits: 0, walletCredits: 3 },
  ]);
  await expectStatus(stack.http.get(`/v1/orgs/${fresh}/usage/daily?from=${today}&to=${yesterday}`, stack.token('member', fresh)), 422);
});

test('GET /v1/price-book: the price, the minimum and the allocation rates', async () => {
  const book = await expectStatus(stack.http.get('/v1/price-book', stack.token('member', org)), 200);
  expect(book).toMatchObject({ currency: 'usd', creditPricePer1000Cents: 2000, minTopUpCredits: 500, allocationRates: { basic: { credits: 9, per: 120 }, premium: { credits: 8, per: 60 } } });
});

test("the sandbox's 3-D Secure by client secret: a wrong secret or another organization is refused", async () => {
  const payer = await createOrg(stack, { planCredits: 100, paymentMethodId: 'pm_card_authenticationRequired' });
  const owner = stack.token('owner', payer);
  const { topUp } = await expectStatus(stack.http.post(`/v1/orgs/${payer}/top-ups`, owner, { credits: 500 }, { 'Idempotency-Key': `tds-${payer}` }), 202);
  const intent = topUp.clientSecret.split('_secret_')[0];
  const path = `/v1/sandbox/payment-intents/${intent}/authenticate`;
  await expectStatus(stack.http.post(path, owner, { clientSecret: `${intent}_secret_wrong` }), 404);
  await expectStatus(stack.http.post(path, stack.token('owner', other), { clientSecret: topUp.clientSecret }), 403);
  await expectStatus(stack.http.post(path, owner, { clientSecret: topUp.clientSecret }), 200);
  await expectStatus(stack.http.post(path, owner, { clientSecret: topUp.clientSecret }), 409);
});
