import { createHash } from 'node:crypto';
import ipaddr from 'ipaddr.js';

/**
 * What an IPv6 client is counted by. A subscriber gets at least a /64 and can
 * pick any address in it, so counting single IPv6 addresses would let one
 * client rotate through 2^64 of them past every per-address limit.
 */
export const IPV6_CLIENT_PREFIX_LENGTH = 64;

/**
 * The client address a per-address limit counts: IPv4 as is (also when it
 * reached a dual-stack socket as ::ffff:a.b.c.d), IPv6 as its /64. `req.ip` is
 * already the client's, not the proxy's, as far as TRUST_PROXY allows.
 */
export function clientAddress(ip: string | undefined): string {
  if (!ip || !ipaddr.isValid(ip)) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const parts = (address as ipaddr.IPv6).parts.map((part, index) => (index < IPV6_CLIENT_PREFIX_LENGTH / 16 ? part : 0));
  return `${new ipaddr.IPv6(parts).toString()}/${IPV6_CLIENT_PREFIX_LENGTH}`;
}

/**
 * The account a per-email limit counts: the address normalised as the log-in
 * and registration handlers do (trim, lower case), then hashed, so no email
 * address is written into a Redis key (or shows up wherever keys are listed).
 */
export function accountKey(email: string): string {
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}
