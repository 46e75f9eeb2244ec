export { orgBillingWorkflow } from './orgBillingWorkflow';
export { deliveryWorkflow } from './deliveryWorkflow';
// The previous design, kept for the runs it started until each has handed over to PostgreSQL.
export { billingOrgWorkflow } from './legacy/billingOrgWorkflow';
