// Outbound webhook URLs: what production refuses as written and as resolved.
import { isPublicAddress, resolveDeliveryAddress, urlRefusal } from '../../notifications/urlPolicy';

test('public addresses are public; loopback, private, link-local and mapped ones are not', () => {
  for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111']) expect(isPublicAddress(address)).toBe(true);
  for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1']) {
    expect(isPublicAddress(address)).toBe(false);
  }
  expect(isPublicAddress('::ffff:8.8.8.8')).toBe(true);
  expect(isPublicAddress('example.com')).toBe(false);
});

test('as written: http(s) only, no credentials, and in production nothing of the server\'s own network', () => {
  expect(urlRefusal('https://8.8.8.8/hook', false)).toBeNull();
  expect(urlRefusal('https://hooks.example.com/x', false)).toBeNull();
  expect(urlRefusal('ftp://example.com/', false)).toBe('must be an http or https URL');
  expect(urlRefusal('not a url', false)).toBe('must be an absolute URL');
  expect(urlRefusal('https://user:pw@example.com/', false)).toBe('must not carry credentials');
  for (const url of ['http://127.0.0.1:1/x', 'http://10.0.0.1/', 'http://[::1]/', 'http://localhost/', 'http://api.localhost/', 'http://169.254.169.254/latest']) {
    expect(urlRefusal(url, false)).not.toBeNull();
    expect(urlRefusal(url, true)).toBeNull();
  }
});

test('addresses that embed or tunnel to another one, and deprecated local ranges, are not public', () => {
  // IPv4-compatible (::a.b.c.d, as the URL parser writes ::127.0.0.1), NAT64, 6to4, Teredo, site-local.
  for (const address of ['::7f00:1', '::a00:1', '64:ff9b::7f00:1', '64:ff9b::808:808', '64:ff9b:1::a00:1', '2002:7f00:1::', '2002:808:808::1', '2001:0:4136:e378::1', 'fec0::1', 'feff::1']) {
    expect(isPublicAddress(address)).toBe(false);
  }
  for (const address of ['2001:4860:4860::8888', '2a00:1450:4001::1', '2606:4700:4700::1111']) expect(isPublicAddress(address)).toBe(true);
});

test('in production the written URL is refused for this server\'s names, single-label names and embedded addresses', () => {
  for (const url of [
    'http://localhost./x',
    'http://LOCALHOST./x',
    'http://api.localhost./x',
    'http://intranet/hook',
    'http://metadata./computeMetadata',
    'http://[::7f00:1]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::7f00:1]/',
    'http://[2002:7f00:1::]/',
    'http://[fec0::1]/',
  ]) {
    expect([url, urlRefusal(url, false)]).toEqual([url, expect.any(String)]);
    expect(urlRefusal(url, true)).toBeNull();
  }
  expect(urlRefusal('http://intranet/hook', false)).toContain('fully qualified');
  // A fully qualified name may end with its root dot.
  expect(urlRefusal('https://hooks.example.com./x', false)).toBeNull();
});

test('as resolved at delivery: an address outside the public internet is refused unless allowed', async () => {
  await expect(resolveDeliveryAddress('127.0.0.1', false)).rejects.toThrow('not a public address');
  await expect(resolveDeliveryAddress('localhost', false)).rejects.toThrow('not a public address');
  await expect(resolveDeliveryAddress('127.0.0.1', true)).resolves.toEqual({ address: '127.0.0.1', family: 4 });
  await expect(resolveDeliveryAddress('8.8.8.8', false)).resolves.toEqual({ address: '8.8.8.8', family: 4 });
});
