// The usage event routes in the OpenAPI document (api/openapi.ts), from the schemas they validate with.
import { DEFAULT_USAGE_CORRECTION_WINDOW_DAYS } from '../domain/usageCorrection';
import type { Operation } from './openapiOperation';
import { idSchema } from './schemas';
import { usageListQuery, usageVoidBody } from './usageSchemas';

const USAGE_EVENT =
  '{id, agentId, meter, quantity, credits, occurredAt, recordedAt, split: {plan, grants, wallet}, status: recorded|voided, voidedAt, voidReason}';

export function usageOperations(org: string): Operation[] {
  return [
    {
      method: 'get',
      path: `${org}/usage`,
      summary: 'Usage events as recorded, newest occurredAt first, each with how its credits were split across plan, grants and wallet (the grants each took from: its ledger entries, ref the event id); voided ones included (status voided). cursor is the previous page\'s nextCursor',
      who: ['owner', 'member', 'agency people', 'service', 'ops'],
      scope: 'usage',
      query: usageListQuery,
      responses: { 200: `{usageEvents: [${USAGE_EVENT}], nextCursor}`, 422: 'invalid query, or a cursor no page gave' },
    },
    {
      method: 'post',
      path: `${org}/usage/{id}/void`,
      params: { id: idSchema },
      summary: `Void a usage event recorded in error (to amend one, void it and send a new event with a new id). Each pool gets back what the event took (ledger kind usage_void, ref the event id): plan credits to the plan while it is the same period (up to what the period granted), else to the wallet; grant credits to their grant while it is live (a grant expired or voided since takes nothing back: forfeited); wallet credits to the wallet. The agent's spend and the day's usage lose the event; event usage.voided. Available rising back to the threshold re-arms the crossing, as a credit does. Allowed within USAGE_CORRECTION_WINDOW_DAYS (default ${DEFAULT_USAGE_CORRECTION_WINDOW_DAYS}) of occurredAt. The voided id stays used: sending it again records nothing`,
      who: ['service', 'ops'],
      scope: 'usage',
      body: usageVoidBody,
      responses: {
        200: `{usageEvent: ${USAGE_EVENT}, returned: {plan, grants: [{grantId, credits}], wallet, forfeited: [{grantId, credits}]}}; a second void answers the voided event with returned null and changes nothing`,
        404: 'usage_event_not_found',
        409: 'correction_window_closed: occurredAt is more than USAGE_CORRECTION_WINDOW_DAYS back',
        422: 'invalid body (reason: 1-500 characters)',
      },
    },
  ];
}
