// `scripts/start.ts` (API + worker in one process) as a child process that a test can SIGKILL.
import path from 'node:path';
import { PROJECT_ROOT } from '../../config/paths';
import { ChildService } from '../../support/processes';

export { freePort } from '../../support/processes';

export class ServiceProcess extends ChildService {
  constructor(env: NodeJS.ProcessEnv, url: string) {
    super(['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts', 'start.ts')], env, url);
  }
}
