import { execFileSync } from 'node:child_process';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { PROJECT_ROOT } from '../../config/paths';

const token = (...args: string[]) =>
  execFileSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'token.ts'), ...args], {
    env: { ...process.env, AUTH_JWT_SECRET: 'token-test-secret', NODE_ENV: 'development' },
    encoding: 'utf8',
  }).trim();

test('npm run token prints an HS256 token the service accepts, with exp', () => {
  const claims = jwt.verify(token('--role', 'owner', '--org', 'acme', '--ttl', '120'), 'token-test-secret', { algorithms: ['HS256'] }) as jwt.JwtPayload;
  expect(claims).toMatchObject({ role: 'owner', org: 'acme', sub: 'owner@acme' });
  expect(claims.exp! - claims.iat!).toBe(120);
});

test('service and ops tokens name every organization by default', () => {
  expect(jwt.decode(token('--role', 'ops'))).toMatchObject({ role: 'ops', org: '*' });
});

test('--scope limits the token: space-separated known scopes only', () => {
  expect(jwt.decode(token('--role', 'service', '--org', 'acme', '--scope', 'usage'))).toMatchObject({ role: 'service', org: 'acme', scope: 'usage' });
  expect(jwt.decode(token('--role', 'service', '--scope', 'usage portal'))).toMatchObject({ scope: 'usage portal' });
  expect(jwt.decode(token('--role', 'ops'))).not.toHaveProperty('scope');
  expect(() => token('--role', 'service', '--scope', 'usage admin')).toThrow(/--scope takes usage, portal, billing/);
});
