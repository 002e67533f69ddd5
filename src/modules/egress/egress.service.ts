/**
 * The egress guard every outbound connection to a department's system goes through (gateway
 * upstreams, exchange data sources): at registration the host is checked, and at connection time the
 * name is resolved, every address checked, and the connection made to the checked address (no
 * DNS-rebinding window between check and connect).
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError } from '../../errors.ts';
import type { Caller } from '../../http/access.ts';
import { callerEvent, type EventSink } from '../audit/events.ts';
import { blockListOf, isOwnAddress, parseCidr, plainAddress, REASON_TEXT, refusedReason, type Reason } from './egress.ts';
import { egressRepo } from './egress.repo.ts';

/** An address pdx will not contact; `details.field` names the setting that points there. */
export class AddressRefusedError extends AppError {
  constructor(
    field: string,
    readonly address: string,
    readonly reason: Reason,
  ) {
    const what = REASON_TEXT[reason];
    super(
      400,
      'address_refused',
      {
        zh: `${field} 指向${what.zh}（${address}），不允许访问；如确需访问，请安全管理员将该网段加入上游白名单`,
        en: `${field} points at ${what.en} (${address}), which pdx does not contact; the security administrator can allowlist the network`,
      },
      { field, address, reason },
    );
  }
}

export function createEgressService(deps: {
  db: Db;
  events: EventSink;
  /** Networks allowlisted by the environment (PDX_UPSTREAM_ALLOW). */
  envAllow: readonly string[];
  /** pdx's own listen address (the port may be set after listen). */
  listen: { host: string; port: number };
}) {
  const repo = egressRepo(deps.db);
  const listen = { ...deps.listen };
  const envAllow = blockListOf(deps.envAllow);
  /** Changes with every allowlist change in this process: connection pools keyed by it are rebuilt. */
  let generation = 0;

  /** Why pdx will not contact address:port, or undefined when it may. */
  async function refusal(address: string, port: number): Promise<Reason | undefined> {
    const a = plainAddress(address);
    if (port === listen.port && isOwnAddress(a, listen.host)) return 'self';
    const reason = refusedReason(a);
    if (!reason) return undefined;
    const family = net.isIPv4(a) ? 'ipv4' : 'ipv6';
    // The environment's networks first: an address they allow needs no database read on the call path.
    if (envAllow.check(a, family)) return undefined;
    return blockListOf(await repo.networks()).check(a, family) ? undefined : reason;
  }

  /** Every address of a host name (an address literal is itself). */
  async function addresses(host: string): Promise<{ address: string; family: number }[]> {
    const h = plainAddress(host);
    if (net.isIP(h)) return [{ address: h, family: net.isIP(h) }];
    return dns.lookup(h, { all: true, verbatim: true });
  }

  const service = {
    /** Records pdx's actual listen address (PDX_PORT=0 picks one at listen). */
    setListen(host: string, port: number) {
      listen.host = host;
      listen.port = port;
    },

    /** Throws AddressRefusedError when pdx may not contact address:port. */
    async checkAddress(field: string, address: string, port: number) {
      const reason = await refusal(address, port);
      if (reason) throw new AddressRefusedError(field, plainAddress(address), reason);
    },

    /**
     * At registration: the host (a name is resolved now) may not point at a refused address. A name
     * that does not resolve yet passes: every connection checks again.
     */
    async checkHost(field: string, host: string, port: number) {
      let found: { address: string }[];
      try {
        found = await addresses(host);
      } catch {
        return;
      }
      for (const a of found) await service.checkAddress(field, a.address, port);
    },

    /**
     * At connection time: the addresses the name resolves to now, all checked (one refused address
     * refuses the host, so a rebinding name cannot slip one through). Connect to one of them.
     */
    async resolve(field: string, host: string, port: number): Promise<{ address: string; family: number }[]> {
      const found = await addresses(host);
      for (const a of found) await service.checkAddress(field, a.address, port);
      return found;
    },

    /**
     * A `lookup` for net/tls.connect (undici's connect options): resolves through `resolve`, so the
     * socket connects to the address that was checked.
     */
    lookupFor(field: string, port: number): net.LookupFunction {
      return ((
        hostname: string,
        options: { all?: boolean },
        callback: (error: Error | null, address: string | { address: string; family: number }[], family?: number) => void,
      ) => {
        service.resolve(field, hostname, port).then(
          (found) => (options.all ? callback(null, found) : callback(null, found[0]!.address, found[0]!.family)),
          (error: Error) => callback(error, ''),
        );
      }) as unknown as net.LookupFunction;
    },

    /**
     * Pooled connections were checked when they were opened; a pool keyed by this number is dropped
     * when the allowlist changes (in this process; other processes open new connections as their
     * idle ones time out).
     */
    generation: () => generation,

    async settings() {
      return { env: [...deps.envAllow], networks: await repo.networks() };
    },

    /** The security administrator's allowlist (CIDRs); each entry checked, the bad one named. */
    async setNetworks(caller: Caller, networks: string[]) {
      const clean: string[] = [];
      for (const [i, n] of networks.entries()) {
        const p = parseCidr(n);
        if (!p)
          throw new BadRequestError(
            'invalid_network',
            { zh: `networks[${i}] 不是有效的网段（CIDR，如 10.20.0.0/16）`, en: `networks[${i}] is not a valid network (CIDR, e.g. 10.20.0.0/16)` },
            { field: `networks[${i}]` },
          );
        clean.push(`${p.network}/${p.prefix}`);
      }
      const before = await repo.networks();
      await repo.setNetworks(clean);
      generation++;
      await deps.events.record(
        callerEvent(caller, { action: 'egress.allow', result: 'success', target: { type: 'settings', id: 'egress.allow' }, details: { before, after: clean } }),
      );
      return service.settings();
    },
  };
  return service;
}

export type EgressService = ReturnType<typeof createEgressService>;
