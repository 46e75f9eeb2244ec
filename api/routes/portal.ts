// The billing portal: sessions a backend opens for its signed-in user, the code-for-cookie
// exchange, and the page itself (portal/dist), served with a strict Content-Security-Policy.
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Response } from 'express';
import { PROJECT_ROOT } from '../../config/paths';
import type { PortalRole } from '../../store/portalSessions';
import { authorizeOrg, RULES } from '../access';
import { PEOPLE } from '../caller';
import type { ApiContext } from '../context';
import { ApiError, forbidden } from '../errors';
import { CODE_TTL_MS, cookieValue, createPortalCode, exchangePortalCode, PORTAL_COOKIE, portalCaller } from '../portalSessions';
import { portalCsp } from '../portalHeaders';
import { parse } from '../schemas';

export const PORTAL_DIST = path.join(PROJECT_ROOT, 'portal', 'dist');

const LINK_REFUSED = () => new ApiError(401, 'portal_link_invalid', 'This portal link is invalid, expired or already used. Ask for a new link.');

export function portalRoutes({ orgs, db, schemas, settings, selfUrl, payments }: ApiContext): Router {
  const router = Router();
  const { publicUrl, sessionTtlMs, frameAncestors } = settings.portal;
  const baseUrl = () => publicUrl ?? selfUrl();
  const stripeKey = payments.name === 'stripe' ? (settings.stripe.publishableKey ?? null) : null;
  const csp = portalCsp(frameAncestors, payments.name === 'stripe');

  /** No inline script, nothing from elsewhere; who may frame the page is the operator's choice. */
  function securityHeaders(res: Response): void {
    res.setHeader('Content-Security-Policy', csp);
    // The link's one-time code must not travel on in a Referer.
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Content-Type-Options', 'nosniff');
  }

  router.post('/v1/orgs/:org/portal-sessions', async (req, res) => {
    const { org } = await authorizeOrg(req, orgs, req.params.org, RULES.openPortal);
    const body = parse(schemas.portalSession, req.body);
    const caller = req.caller!;
    const person = PEOPLE.includes(caller.role);
    // People open the portal as themselves (an owner may open a member's view); a backend chooses,
    // least privilege by default.
    const role: PortalRole = body.role ?? (person ? (caller.role as PortalRole) : 'member');
    if (person && caller.role === 'member' && role === 'owner') throw forbidden('A member cannot open an owner session.');
    const code = await createPortalCode(db, org.id, role, body.sub ?? caller.sub);
    res.status(201).json({ url: `${baseUrl()}/portal/?code=${code}`, expiresAt: new Date(Date.now() + CODE_TTL_MS).toISOString() });
  });

  router.post('/portal/session', async (req, res) => {
    securityHeaders(res);
    const { code } = parse(schemas.portalCode, req.body);
    const session = await exchangePortalCode(db, code, sessionTtlMs);
    if (!session) throw LINK_REFUSED();
    const secure = baseUrl().startsWith('https:') ? '; Secure' : '';
    res.setHeader('Set-Cookie', `${PORTAL_COOKIE}=${session.sessionId}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(sessionTtlMs / 1000)}${secure}`);
    res.status(201).json(await sessionView(session.sessionId));
  });

  /** Who the cookie stands for: the page reads it after a reload, once the code is gone. */
  router.get('/portal/session', async (req, res) => {
    securityHeaders(res);
    const sessionId = cookieValue(req.headers.cookie, PORTAL_COOKIE);
    if (!sessionId) throw LINK_REFUSED();
    res.json(await sessionView(sessionId));
  });

  async function sessionView(sessionId: string) {
    const caller = await portalCaller(db, sessionId);
    if (!caller) throw LINK_REFUSED();
    // With Stripe the page confirms 3-D Secure with Stripe.js, which needs the publishable key.
    return { org: caller.org, role: caller.role, stripePublishableKey: stripeKey };
  }

  const page = express.static(PORTAL_DIST, { index: 'index.html', maxAge: 0 });
  router.use('/portal', (req, res, next) => {
    securityHeaders(res);
    if (!existsSync(PORTAL_DIST)) return next(new ApiError(404, 'portal_not_built', 'The portal is not built: run npm run build.'));
    page(req, res, next);
  });

  return router;
}
