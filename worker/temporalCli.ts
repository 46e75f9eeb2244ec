// Finds (or installs) the pinned Temporal CLI and starts it as a dev server. Without a CLI and
// without Go, the SDK downloads the dev server itself (laptops with internet).
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ORG_SEARCH_ATTRIBUTES } from '../workflows/searchAttributes';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** Whether `file` exists and may be run. */
export function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function goBinDir(): string {
  try {
    const gobin = execFileSync('go', ['env', 'GOBIN'], { encoding: 'utf8' }).trim();
    if (gobin) return gobin;
    return path.join(execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8' }).trim(), 'bin');
  } catch {
    return path.join(os.homedir(), 'go', 'bin');
  }
}

/** An explicit path, then PATH, then Go's bin directory. */
export function findExecutable(name: string, explicitPath?: string): string | undefined {
  if (explicitPath) return explicitPath;
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), goBinDir()];
  return dirs.map((dir) => path.join(dir, name)).find(executable);
}

/** TEMPORAL_CLI_PATH, then PATH, then Go's bin directory. */
export function findTemporalCli(explicitPath?: string): string | undefined {
  return findExecutable('temporal', explicitPath);
}

/** `go install` of a module's command; its path, or undefined when Go is not available. */
export function goInstall(module: string, name: string): string | undefined {
  try {
    execFileSync('go', ['install', module], { stdio: 'inherit' });
  } catch {
    return undefined;
  }
  const installed = path.join(goBinDir(), name);
  return executable(installed) ? installed : undefined;
}

/** `go install` of the pinned CLI; undefined when Go is not available. */
export function installTemporalCli(): string | undefined {
  return goInstall(TEMPORAL_CLI_MODULE, 'temporal');
}

export interface DevServerOptions {
  cliPath?: string;
  /** SQLite file that keeps every workflow across restarts; in-memory when unset. */
  dbFilename?: string;
  port?: number;
  /** Serve the Temporal UI on port + 1000. */
  ui?: boolean;
}

export async function startDevServer(options: DevServerOptions): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: options.cliPath ? { type: 'existing-path', path: options.cliPath } : { type: 'cached-download' },
      dbFilename: options.dbFilename,
      ip: '127.0.0.1',
      port: options.port,
      ui: options.ui ?? false,
      uiPort: options.ui && options.port ? options.port + 1000 : undefined,
      searchAttributes: ORG_SEARCH_ATTRIBUTES,
    },
  });
}

/** The CLI's `--search-attribute` flags for the organization workflows' attributes (a dev server started by hand). */
export const SEARCH_ATTRIBUTE_FLAGS = ORG_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]);
