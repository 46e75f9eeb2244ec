// One delivery (a webhook to one endpoint, or an e-mail) through its retry schedule: Temporal
// timers between attempts, so a worker killed mid-schedule goes on where it was. Its workflow
// type and id are in messages.ts, with the other names clients use.
import * as wf from '@temporalio/workflow';
import type { BillingActivities } from '../activities';

export interface DeliveryInput {
  deliveryId: string;
}

const { deliverySchedule } = wf.proxyLocalActivities<BillingActivities>({ startToCloseTimeout: '10 seconds' });

export async function deliveryWorkflow({ deliveryId }: DeliveryInput): Promise<void> {
  const { retryScheduleMs, timeoutMs } = await deliverySchedule();
  const { attemptDelivery } = wf.proxyActivities<BillingActivities>({
    startToCloseTimeout: timeoutMs + 15_000,
    // Only the database failing throws; the receiver's answer is an outcome.
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
  });
  if (retryScheduleMs[0] > 0) await wf.sleep(retryScheduleMs[0]);
  for (let attempt = 0; attempt < retryScheduleMs.length; attempt++) {
    const nextDelayMs = attempt + 1 < retryScheduleMs.length ? retryScheduleMs[attempt + 1] : null;
    const { done, nextAttemptInMs } = await attemptDelivery({ deliveryId, nextDelayMs });
    if (done) return;
    await wf.sleep(nextAttemptInMs!);
  }
}
