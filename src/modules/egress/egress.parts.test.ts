import { describe, expect, it } from 'vitest';
import { isOwnAddress, parseCidr, plainAddress, refusedReason } from './egress.ts';

describe('egress address rules', () => {
  it('reads IPv4-mapped IPv6 addresses as the IPv4 address they are', () => {
    expect(plainAddress('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(plainAddress('[::ffff:7f00:1]')).toBe('127.0.0.1');
    expect(plainAddress('0:0:0:0:0:ffff:a9fe:a9fe')).toBe('169.254.169.254');
    expect(plainAddress('2001:db8::ffff:7f00:1')).toBe('2001:db8::ffff:7f00:1');
  });

  it('names why an address is refused by default', () => {
    expect(refusedReason('127.0.0.1')).toBe('loopback');
    expect(refusedReason('::1')).toBe('loopback');
    expect(refusedReason('::ffff:7f00:1')).toBe('loopback');
    expect(refusedReason('0.0.0.0')).toBe('unspecified');
    expect(refusedReason('169.254.169.254')).toBe('metadata');
    expect(refusedReason('100.100.100.200')).toBe('metadata');
    expect(refusedReason('fd00:ec2::254')).toBe('metadata');
    expect(refusedReason('169.254.3.4')).toBe('link_local');
    expect(refusedReason('fe80::1')).toBe('link_local');
    expect(refusedReason('10.1.2.3')).toBeUndefined();
    expect(refusedReason('203.0.113.9')).toBeUndefined();
  });

  it('parses CIDRs and single addresses, refuses the rest', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('127.0.0.1')).toEqual({ network: '127.0.0.1', prefix: 32, family: 'ipv4' });
    expect(parseCidr('::1/128')).toEqual({ network: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'example.com', '10.0.0.0/8/1', '1.2.3.4/x', '']) expect(parseCidr(bad), bad).toBeUndefined();
  });

  it("recognises pdx's own listen address", () => {
    expect(isOwnAddress('10.0.0.5', '10.0.0.5')).toBe(true);
    expect(isOwnAddress('10.0.0.6', '10.0.0.5')).toBe(false);
    expect(isOwnAddress('127.0.0.1', '0.0.0.0')).toBe(true);
    expect(isOwnAddress('::1', 'localhost')).toBe(true);
  });
});
