export { orgBillingWorkflow } from './orgBillingWorkflow';
// The previous design, kept for the runs it started until each has handed over to PostgreSQL.
export { billingOrgWorkflow } from './legacy/billingOrgWorkflow';
