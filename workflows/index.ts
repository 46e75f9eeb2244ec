export { billingOrgWorkflow } from './billingOrg';
