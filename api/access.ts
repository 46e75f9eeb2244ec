// Who may call which route for which organization.
import type { Request } from 'express';
import type { OrgRecord } from '../store/orgs';
import { hasScope, PEOPLE, type Caller, type Role, type Scope } from './caller';
import { ApiError, forbidden, notFound } from './errors';
import type { OrgStore } from './orgStore';
import { idSchema, parse } from './schemas';

/** How the caller stands to an organization: its own, its agency's people, or every org (service, ops). */
export type Relation = 'self' | 'agency' | 'global';

export interface Rule {
  roles: readonly Role[];
  /** Whether an agency's people may do this on a sub-account. */
  agency: boolean;
  /** The token scope it needs (a token without a scope claim has them all). */
  scope: Scope;
}

export const RULES = {
  readBilling: { roles: [...PEOPLE, 'ops'], agency: true, scope: 'billing' },
  readAllowance: { roles: [...PEOPLE, 'service', 'ops'], agency: false, scope: 'usage' },
  /** Who reports usage also voids it (POST …/usage/:id/void). */
  reportUsage: { roles: ['service', 'ops'], agency: false, scope: 'usage' },
  /** The usage events themselves, with their split: whoever reads the billing, and the backend that reports them. */
  readUsageEvents: { roles: [...PEOPLE, 'service', 'ops'], agency: true, scope: 'usage' },
  manageSubscription: { roles: ['ops'], agency: false, scope: 'billing' },
  managePaymentMethod: { roles: ['owner', 'ops'], agency: false, scope: 'billing' },
  manageAgents: { roles: ['owner'], agency: false, scope: 'billing' },
  readSubAccounts: { roles: [...PEOPLE, 'ops'], agency: false, scope: 'billing' },
  manageAllocations: { roles: ['owner'], agency: false, scope: 'billing' },
  /** Webhook endpoints and the owner's e-mail setting. */
  manageNotifications: { roles: ['owner', 'ops'], agency: false, scope: 'billing' },
  /** An agency monitors its sub-accounts' endpoints and delivery logs (never their secrets). */
  readWebhookEndpoints: { roles: [...PEOPLE, 'ops'], agency: true, scope: 'billing' },
  /** The owner's e-mail address is the organization's own business. */
  readNotificationSettings: { roles: [...PEOPLE, 'ops'], agency: false, scope: 'billing' },
  /** A portal link: a backend (service, ops) for anyone, people for themselves. The session it
   * opens has the rights of its role, whatever the minting token's scope: hence a scope of its own. */
  openPortal: { roles: [...PEOPLE, 'service', 'ops'], agency: false, scope: 'portal' },
  /** A page where the customer saves a card: a backend may open one for its customer, as for the portal. */
  openPaymentMethodSession: { roles: ['owner', 'service', 'ops'], agency: false, scope: 'billing' },
  /** Completing 3-D Secure in the sandbox, as the customer's browser would. */
  authenticatePayment: { roles: [...PEOPLE, 'ops'], agency: false, scope: 'billing' },
  /** Payments and their receipts: whoever reads the billing. */
  readPayments: { roles: [...PEOPLE, 'ops'], agency: true, scope: 'billing' },
  /** Money back is an operator's decision. */
  refundPayments: { roles: ['ops'], agency: false, scope: 'billing' },
  /** Credit grants are given and voided by operators; whoever reads the billing sees them. */
  manageGrants: { roles: ['ops'], agency: false, scope: 'billing' },
  readGrants: { roles: [...PEOPLE, 'ops'], agency: true, scope: 'billing' },
  /** Alert ladders: set by the owner (or ops); read by whoever reads the billing (readBilling). */
  manageAlerts: { roles: ['owner', 'ops'], agency: false, scope: 'billing' },
} satisfies Record<string, Rule>;

/** A token limited to other scopes is refused with a code that says which one it lacks. */
function requireScope(req: Request, scope: Scope): void {
  if (!hasScope(req.caller!, scope)) throw new ApiError(403, 'scope_required', `This token's scope does not include "${scope}".`);
}

/** A scoped service or ops token stands to its own organization only: agency rights are people's. */
export function relationTo(caller: Caller, org: { id: string; parentId: string | null }): Relation | undefined {
  if (caller.org === '*') return 'global';
  if (caller.org === org.id) return 'self';
  if (org.parentId !== null && caller.org === org.parentId && PEOPLE.includes(caller.role)) return 'agency';
  return undefined;
}

/** Routes about no one organization (creating one, the sandbox): only a token for every organization. */
export function authorizeGlobal(req: Request, role: Role, refusal: string): void {
  requireScope(req, 'billing');
  if (req.caller!.role !== role || req.caller!.org !== '*') throw forbidden(refusal);
}

export interface Authorized {
  org: OrgRecord;
  relation: Relation;
}

/** A caller with no relation to the organization learns nothing about it (403, never 404). An id
 * no organization can have is refused before any query (a NUL byte would fail in PostgreSQL). */
async function resolveOrg(req: Request, orgs: OrgStore, orgId: string): Promise<Authorized> {
  parse(idSchema, orgId, 'org');
  const org = await orgs.get(orgId);
  const relation = relationTo(req.caller!, org ?? { id: orgId, parentId: null });
  if (!relation) throw forbidden();
  if (!org) throw notFound();
  return { org, relation };
}

export async function authorizeOrg(req: Request, orgs: OrgStore, orgId: string, rule: Rule): Promise<Authorized> {
  requireScope(req, rule.scope);
  const authorized = await resolveOrg(req, orgs, orgId);
  if (authorized.relation === 'agency' && !rule.agency) throw forbidden();
  if (!rule.roles.includes(req.caller!.role)) throw forbidden();
  return authorized;
}

export interface OwnerRefusals {
  agency: () => ApiError;
  notOwner: () => ApiError;
}

/** What only the organization's own Owner may do (top-ups, auto-recharge); each refusal says why. */
export async function authorizeOwner(req: Request, orgs: OrgStore, orgId: string, refusals: OwnerRefusals): Promise<Authorized> {
  requireScope(req, 'billing');
  const authorized = await resolveOrg(req, orgs, orgId);
  if (authorized.relation === 'agency') throw refusals.agency();
  if (req.caller!.role !== 'owner') throw refusals.notOwner();
  return authorized;
}

export const AUTO_RECHARGE_REFUSALS: OwnerRefusals = {
  agency: () => new ApiError(403, 'agency_read_only', 'Agencies can monitor sub-accounts but cannot manage their auto-recharge.'),
  notOwner: () => new ApiError(403, 'owner_required', 'Only the organization owner can manage auto-recharge.'),
};
