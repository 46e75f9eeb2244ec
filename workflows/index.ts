export { orgBillingWorkflow } from './orgBillingWorkflow';
export { deliveryWorkflow } from './deliveryWorkflow';
