// What Node's HTTP parser refuses before Express sees it still gets the API's error JSON: a 20 KB
// token (431), malformed HTTP (400). The test serves the API's app on a server of its own with
// answerClientErrors, as startApi does.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { answerClientErrors } from '../../api/httpLimits';
import { startStack, type Stack } from '../helpers/stack';
import { expectError } from './apiHelpers';

let stack: Stack;
let server: Server;
let url: string;
beforeAll(async () => {
  stack = await startStack();
  server = createServer(stack.api.app);
  answerClientErrors(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await stack.stop();
});

test('a 20 KB token is 431 headers_too_large with the error JSON', async () => {
  const res = await fetch(`${url}/v1/orgs/acme/billing`, { headers: { authorization: `Bearer ${'a'.repeat(20_000)}` } });
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expectError({ status: res.status, body: await res.json() }, 431, 'headers_too_large', 'The request headers are too large: 16 KB at most in total.');
});

test('malformed HTTP is 400 bad_request with the error JSON', async () => {
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
    let data = '';
    socket.on('data', (chunk) => (data += chunk));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).toMatch(/^HTTP\/1.1 400 Bad Request/);
  expect(JSON.parse(body)).toEqual({ error: { code: 'bad_request', message: 'The request is not valid HTTP.' } });
});

test('a request within the limits is served as usual', async () => {
  const res = await fetch(`${url}/v1/orgs/acme/billing`, { headers: { authorization: `Bearer ${'a'.repeat(8_000)}` } });
  expectError({ status: res.status, body: await res.json() }, 401, 'unauthorized');
});
