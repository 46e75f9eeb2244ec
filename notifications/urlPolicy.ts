// Outbound URLs must not reach the server's own network in production: loopback, private,
// link-local and other non-public addresses are refused as written and as resolved.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  // The unspecified address, loopback, and the deprecated IPv4-compatible ::a.b.c.d (::7f00:1).
  ['::', 96],
  // IPv6 addresses that carry an IPv4 one a gateway may reach: NAT64 (well-known and local-use
  // prefixes), 6to4 and Teredo.
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2002::', 16],
  ['2001::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  // Site-local (deprecated, still routed inside some networks).
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
}

export function isPublicAddress(address: string): boolean {
  // An IPv4-mapped IPv6 address is judged by its IPv4 part. (A ::ffff:0:0/96 rule in the block
  // list would also match every plain IPv4 address.)
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return isPublicAddress(mapped[1]);
  const family = isIP(address);
  if (family === 0) return false;
  return !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** Why a host name (not an address) is refused: this server's own names, and single-label names,
 * which the resolver completes with its search domains into the server's own network. */
function hostNameRefusal(hostname: string): string | null {
  const host = hostname.toLowerCase().replace(/\.$/, ''); // `localhost.` is `localhost`
  if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at this server\'s own network';
  if (!host.includes('.')) return 'must name a fully qualified host (a single-label name resolves inside this server\'s network)';
  return null;
}

/** Why a webhook URL is refused as written, or null. */
export function urlRefusal(raw: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return isPublicAddress(host) ? null : 'must not point at a private, loopback or link-local address';
  return hostNameRefusal(host);
}

/** Resolves the host at delivery time; refuses an address that is not public unless allowed. */
export async function resolveDeliveryAddress(hostname: string, allowPrivate: boolean): Promise<{ address: string; family: number }> {
  const host = hostname.replace(/^\[|\]$/g, '');
  const resolved = isIP(host) ? { address: host, family: isIP(host) } : await lookup(host);
  if (!allowPrivate && !isPublicAddress(resolved.address)) throw new Error(`${hostname} resolves to ${resolved.address}, which is not a public address`);
  return resolved;
}
