/**
 * Which URLs a webhook may point at. Always: an absolute http or https URL, no user name or
 * password (a credential in a URL ends up in logs and in the audit log, which every member
 * reads; receivers authenticate deliveries by their signature instead), no fragment.
 *
 * Private targets (SSRF): a webhook makes the coordinator send POSTs to a URL an administrator
 * chose, so on a host that can reach internal services (a cloud metadata endpoint, an admin
 * panel on localhost) it is a way in. Conclave is self-hosted and its receivers usually sit on
 * the same private network, and only administrators with signed statements register endpoints,
 * so private targets are allowed by default; with CONCLAVE_WEBHOOK_ALLOW_PRIVATE=false every
 * loopback, private, link-local, shared (CGNAT), unique-local, multicast or unspecified address
 * is refused, as a literal and as what a host name resolves to, both at registration and before
 * each attempt. (A name that changes its answer between that check and the connection, DNS
 * rebinding, is not caught; docs/webhooks.md says what to do where that matters.)
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { ConclaveError } from '../../protocol/errors';
import { WEBHOOK_URL_MAX_LENGTH } from '../../protocol/webhooks';

const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** The URL, parsed, or WEBHOOK_URL_INVALID naming what is wrong. */
export function parseWebhookUrl(text: string): URL {
  const refuse = (why: string) => new ConclaveError('WEBHOOK_URL_INVALID', `envelope.body.url: ${why}`);
  if (text.length > WEBHOOK_URL_MAX_LENGTH) throw refuse(`longer than ${WEBHOOK_URL_MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('not an absolute URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`scheme ${url.protocol} is not http: or https:`);
  if (url.username !== '' || url.password !== '') throw refuse('must not carry a user name or password; receivers check the Conclave-Signature header instead');
  if (url.hash !== '' || text.includes('#')) throw refuse('must not have a fragment (#...)');
  if (url.hostname === '') throw refuse('has no host');
  return url;
}

/** True for an address no webhook may reach when private targets are refused. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return false;
  const mapped = mappedIpv4(address.toLowerCase());
  return mapped !== null ? BLOCKED.check(mapped, 'ipv4') : BLOCKED.check(address, 'ipv6');
}

/** `::ffff:a.b.c.d` (or its hex form `::ffff:7f00:1`) as the IPv4 address it stands for. */
function mappedIpv4(address: string): string | null {
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) return dotted[1]!;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (!hex) return null;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

export type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = async (host) => (await dnsLookup(host, { all: true })).map((a) => a.address);

/**
 * With private targets refused, the URL's host (a literal, or every address its name resolves
 * to) must be public: WEBHOOK_URL_PRIVATE otherwise, WEBHOOK_URL_INVALID if the name does not
 * resolve. With private targets allowed, nothing is looked up.
 */
export async function checkWebhookTarget(url: URL, allowPrivate: boolean, resolve: Resolve = resolveAll): Promise<void> {
  if (allowPrivate) return;
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new ConclaveError('WEBHOOK_URL_INVALID', `url: the host ${host} does not resolve, so it cannot be checked`);
    }
  }
  const blocked = addresses.find(isPrivateAddress);
  if (blocked !== undefined) {
    throw new ConclaveError('WEBHOOK_URL_PRIVATE', `url: ${host} is (or resolves to) ${blocked}, a loopback, private or link-local address; this coordinator refuses those (CONCLAVE_WEBHOOK_ALLOW_PRIVATE=false)`);
  }
}
