// `npm run token -- --role owner --org acme [--sub alice] [--ttl 3600] [--scope "usage"]`: a JWT for
// local use. `--scope` limits it (space-separated: usage, portal, billing); without it, every right of the role.
import { parseArgs } from 'node:util';
import { signToken } from '../api/auth';
import { ROLES, SCOPES, type Role } from '../api/caller';
import { loadSettings } from '../config/settings';

const { values } = parseArgs({
  options: {
    role: { type: 'string', default: 'owner' },
    org: { type: 'string' },
    sub: { type: 'string' },
    ttl: { type: 'string', default: '3600' },
    scope: { type: 'string' },
  },
});

const role = values.role as Role;
if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
const org = values.org ?? (role === 'service' || role === 'ops' ? '*' : undefined);
if (!org) throw new Error('--org is required for owner and member tokens');
const scopes = values.scope?.split(/[\s,]+/).filter(Boolean);
const unknown = scopes?.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
if (unknown?.length) throw new Error(`--scope takes ${SCOPES.join(', ')} (space-separated), not ${unknown.join(', ')}`);
if (scopes?.length === 0) throw new Error(`--scope needs at least one of ${SCOPES.join(', ')}`);
const scope = scopes ? { scope: scopes.join(' ') } : {};
console.log(signToken({ sub: values.sub ?? `${role}@${org}`, role, org, ...scope }, loadSettings().authJwtSecret, Number(values.ttl)));
