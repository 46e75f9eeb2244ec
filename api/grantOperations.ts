// The credit grant routes in the OpenAPI document (api/openapi.ts), from the schemas they validate with.
import { grantBody, grantIdSchema, grantListQuery } from './grantSchemas';
import type { Operation } from './openapiOperation';

const GRANT = '{id, name, category, priority, credits, remaining, expired, voided, expiresAt, createdAt, expiredAt, voidedAt, status: active|expired|voided}';

export function grantOperations(org: string): Operation[] {
  const grants = `${org}/credit-grants`;
  return [
    {
      method: 'post',
      path: grants,
      summary:
        'Give credits: a grant with a name, a category, a priority (0-100, default 50: lower is spent first) and an optional expiry. Grants are spent after plan credits and before the wallet, by priority, then soonest expiry (none last), then creation; they count in availableCredits. At expiresAt what remains expires (ledger kind expiry, event credits.expired); an expiry that takes available below the threshold recharges',
      who: ['ops'],
      body: grantBody,
      responses: { 201: `{grant: ${GRANT}}; an idempotencyKey seen before answers with its own grant`, 409: 'idempotency_key_conflict: the key was used for a different grant', 422: 'invalid body (expiresAt must be in the future)' },
    },
    { method: 'get', path: grants, summary: "The organization's grants, newest first, optionally of one status", who: ['owner', 'member', 'agency people', 'ops'], query: grantListQuery, responses: { 200: `{grants: [${GRANT}]}`, 422: 'invalid query' } },
    {
      method: 'post',
      path: `${grants}/{id}/void`,
      params: { id: grantIdSchema },
      summary: 'Void a grant: what remains leaves the grant pool (ledger kind grant_void, event credits.voided); voiding it again changes nothing',
      who: ['ops'],
      responses: { 200: `{grant: ${GRANT}}`, 404: 'grant_not_found', 409: 'grant_expired: nothing remains to void', 422: 'malformed grant id' },
    },
  ];
}
