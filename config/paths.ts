import path from 'node:path';

/** The project root, whether running from source (tsx, jest) or from dist/. */
export const PROJECT_ROOT = path.resolve(__dirname, '..', path.basename(path.resolve(__dirname, '..')) === 'dist' ? '..' : '.');
