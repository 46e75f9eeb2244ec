// The request log: one line per request (its id, method, URL, status and time), at error level for
// a server error, and never a portal link's one-time code.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { requestLog } from '../../api/requestLog';

type Line = { level: number; msg: string; req: { id: string; method: string; url: string }; res: { statusCode: number }; responseTime: number };

async function logLinesFor(paths: string[], headers: Record<string, string> = {}): Promise<Line[]> {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = express();
  app.use(requestLog(pino({ level: 'info' }, sink)));
  // A router strips its mount path from req.url: the line still has the URL as requested.
  const portal = express.Router();
  portal.get('/', (_req, res) => {
    res.send('portal');
  });
  app.use('/portal', portal);
  app.use((req, res) => {
    res.status(req.path === '/fails' ? 503 : 200).send('ok');
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const { port } = server.address() as AddressInfo;
    for (const path of paths) await (await fetch(`http://127.0.0.1:${port}${path}`, { headers })).text();
  } finally {
    server.close();
  }
  return lines.map((line) => JSON.parse(line));
}

test("a portal link's one-time code is not in the request log; the rest of the URL is", async () => {
  const code = 'pc_4f1d9a0c5be2e7a8d3c6b1f0e9a7d2c4';
  const logged = await logLinesFor([`/portal/?code=${code}`, `/portal/?lang=en&code=${code}`, '/v1/orgs/acme/ledger?limit=5', '/healthz']);
  expect(logged.map((line) => line.req.url)).toEqual(['/portal/?code=REDACTED', '/portal/?lang=en&code=REDACTED', '/v1/orgs/acme/ledger?limit=5', '/healthz']);
  expect(JSON.stringify(logged)).not.toContain(code);
});

test('one line per request with its id, status and time; a server error at error level', async () => {
  const [ok, failed] = await logLinesFor(['/v1/orgs/acme/usage', '/fails'], { 'x-request-id': 'trace-7' });
  expect(ok).toMatchObject({ level: 30, msg: 'request completed', req: { id: 'trace-7', method: 'GET', url: '/v1/orgs/acme/usage' }, res: { statusCode: 200 } });
  expect(failed).toMatchObject({ level: 50, msg: 'request errored', req: { id: 'trace-7' }, res: { statusCode: 503 } });
  expect(ok.responseTime).toBeGreaterThanOrEqual(0);
});
