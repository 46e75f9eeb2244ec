// Shared checks for the API tests: the error contract and organizations without a subscription.
import { expectStatus } from '../helpers/billing';
import { uniqueOrgId, type HttpResponse, type Stack } from '../helpers/stack';

/** The response is `status` with exactly `{error: {code, message}}`, non-empty strings (and `message` when given). */
export function expectError(res: HttpResponse, status: number, code: string, message?: string): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status,
    body: { error: { code, message: message ?? expect.any(String) } },
  });
  expect(Object.keys(res.body)).toEqual(['error']);
  expect(Object.keys(res.body.error).sort()).toEqual(['code', 'message']);
  expect(res.body.error.message.trim().length).toBeGreaterThan(0);
}

/** An organization as POST /v1/orgs leaves it: no subscription, no payment method. */
export async function bareOrg(stack: Stack, parentId?: string): Promise<string> {
  const id = uniqueOrgId('bare');
  await expectStatus(stack.http.post('/v1/orgs', stack.token('ops'), { id, name: `Bare ${id}`, parentId }), 201);
  return id;
}

export const sortedKeys = (value: object): string[] => Object.keys(value).sort();
