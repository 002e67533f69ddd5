/**
 * Which network addresses pdx may contact on a department's behalf (SSRF guard, issue 17): never
 * loopback, "this host", link-local (169.254/16, fe80::/10, where cloud metadata services live), the
 * cloud metadata addresses, or pdx's own listen address — unless the security administrator
 * allowlists the network (PDX_UPSTREAM_ALLOW, or the `egress.allow` setting). pdx's own listen
 * address is never allowed: a call to itself would loop through the gateway.
 */
import net from 'node:net';
import os from 'node:os';

/** Networks refused by default, with the reason the error names. */
const REFUSED: { network: string; prefix: number; family: 'ipv4' | 'ipv6'; reason: Reason }[] = [
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', reason: 'loopback' },
  { network: '::1', prefix: 128, family: 'ipv6', reason: 'loopback' },
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', reason: 'unspecified' },
  { network: '::', prefix: 128, family: 'ipv6', reason: 'unspecified' },
  // Cloud metadata: AWS/GCP/Azure/Tencent 169.254.169.254 (inside link-local), Alibaba Cloud 100.100.100.200, AWS IPv6.
  { network: '100.100.100.200', prefix: 32, family: 'ipv4', reason: 'metadata' },
  { network: 'fd00:ec2::254', prefix: 128, family: 'ipv6', reason: 'metadata' },
  { network: '169.254.169.254', prefix: 32, family: 'ipv4', reason: 'metadata' },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', reason: 'link_local' },
  { network: 'fe80::', prefix: 10, family: 'ipv6', reason: 'link_local' },
];

export type Reason = 'loopback' | 'unspecified' | 'link_local' | 'metadata' | 'self';

export const REASON_TEXT: Record<Reason, { zh: string; en: string }> = {
  loopback: { zh: '本机回环地址', en: 'a loopback address' },
  unspecified: { zh: '未指定地址（本机）', en: 'an unspecified (this-host) address' },
  link_local: { zh: '链路本地地址', en: 'a link-local address' },
  metadata: { zh: '云平台元数据地址', en: 'a cloud metadata address' },
  self: { zh: 'pdx 自身的监听地址', en: "pdx's own listen address" },
};

/** An IPv4-mapped IPv6 address (::ffff:127.0.0.1) as the IPv4 address it is. */
export function plainAddress(address: string): string {
  const a = address.replace(/^\[|\]$/g, '');
  const dotted = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(a);
  if (dotted && net.isIPv6(a)) return dotted[1]!;
  // The URL parser writes ::ffff:127.0.0.1 as ::ffff:7f00:1.
  const hex = /^(?:0{0,4}:){0,4}:?(?:0{0,4}:)?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a);
  if (hex && net.isIPv6(a)) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return a;
}

/** A CIDR (`10.0.0.0/8`, `::1/128`) or a single address; undefined when it is neither. */
export function parseCidr(text: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [addr = '', bits, ...rest] = text.trim().split('/');
  if (rest.length) return undefined;
  const a = plainAddress(addr);
  const version = net.isIP(a);
  if (!version) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { network: a, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function blockListOf(cidrs: readonly string[]): net.BlockList {
  const list = new net.BlockList();
  for (const c of cidrs) {
    const p = parseCidr(c);
    if (p) list.addSubnet(p.network, p.prefix, p.family);
  }
  return list;
}

/** Why an address is refused by default (before the allowlist), or undefined. */
export function refusedReason(address: string): Reason | undefined {
  const a = plainAddress(address);
  const family = net.isIPv4(a) ? 'ipv4' : 'ipv6';
  return REFUSED_LISTS.find((r) => r.family === family && r.list.check(a, family))?.reason;
}

/** One block list per refused network, built once (every outbound connection is checked against them). */
const REFUSED_LISTS = REFUSED.map((r) => {
  const list = new net.BlockList();
  list.addSubnet(r.network, r.prefix, r.family);
  return { family: r.family, reason: r.reason, list };
});

/** The listen address's host matches `address` (a wildcard listen address matches every local interface). */
export function isOwnAddress(address: string, listenHost: string): boolean {
  const a = plainAddress(address);
  const host = plainAddress(listenHost);
  if (host === '0.0.0.0' || host === '::') {
    const local = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((i) => plainAddress(i.address)));
    return local.includes(a) || refusedReason(a) === 'loopback' || refusedReason(a) === 'unspecified';
  }
  if (host === 'localhost') return refusedReason(a) === 'loopback';
  return a === host;
}

/** PDX_UPSTREAM_ALLOW: comma- or space-separated CIDRs. */
export function envNetworks(text: string | undefined): string[] {
  return (text ?? '').split(/[\s,]+/).filter(Boolean);
}

/** The port a URL connects to. */
export function portOf(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}
