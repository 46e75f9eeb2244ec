// `npm run token -- --role owner --org acme [--sub alice] [--ttl 3600]`: a JWT for local use.
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { ROLES, type Role } from '../api/caller';
import { loadSettings } from '../config/settings';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'owner' },
    org: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
  },
});

const role = values.role as Role;
if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
const org = values.org ?? (role === 'service' || role === 'ops' ? '*' : undefined);
if (!org) throw new Error('--org is required for owner and member tokens');
console.log(signToken({ sub: values.sub ?? `${role}@${org}`, role, org }, loadSettings().authJwtSecret, Number(values.ttl)));
