// The browser tests load the built portal: build it when portal/dist is missing or older than
// any of its sources (a few seconds; nothing to do on a run after an unchanged build).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/paths';

const PORTAL = path.join(PROJECT_ROOT, 'portal');
const SOURCES = [path.join(PORTAL, 'src'), path.join(PORTAL, 'index.html'), path.join(PORTAL, 'vite.config.mts'), path.join(PROJECT_ROOT, 'domain')];

function newest(file: string): number {
  const stat = statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(stat.mtimeMs, ...readdirSync(file).map((name) => newest(path.join(file, name))));
}

export function buildPortalIfStale(): void {
  const built = path.join(PORTAL, 'dist', 'index.html');
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...SOURCES.map(newest))) return;
  execFileSync(path.join(PROJECT_ROOT, 'node_modules', '.bin', 'vite'), ['build', '--config', path.join(PORTAL, 'vite.config.mts'), '--logLevel', 'warn'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });
}
