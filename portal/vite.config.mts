// Builds the billing portal (portal/src) into portal/dist, which the API serves at /portal/.
import path from 'node:path';
import { defineConfig } from 'vite';

export default defineConfig({
  root: __dirname,
  base: '/portal/',
  build: {
    outDir: path.join(__dirname, 'dist'),
    emptyOutDir: true,
    // The polyfill would be the page's only script not in a file of its own; modern browsers need none.
    modulePreload: { polyfill: false },
  },
});
