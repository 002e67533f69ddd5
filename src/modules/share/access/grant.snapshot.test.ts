/**
 * How the grant of a data request is chosen and checked, checked in (grant.snapshot.txt beside this
 * file): representative access contexts — the grant picked among several, a revoked, ended or
 * suspended one, IP ranges (IPv4, IPv6, an IPv4-mapped address), containments by security operations,
 * drafts and datasets not shared — each with the answer `decide` gives (the grant read under, or the
 * refusal's code). A change of who may read shows in review as a change of this file. Update with
 * `npx vitest run src/modules/share/access/grant.snapshot.test.ts --update` when meant.
 */
import { describe, expect, it } from 'vitest';
import { AppError } from '../../../errors.ts';
import type { AccessContainment, AccessContext, AccessGrant } from '../share.repo.ts';
import { asOfNow, decide, type Requester } from './grant.ts';

const NOW = Date.parse('2026-03-01T04:00:00Z');
const HOUR = 3_600_000;
const CONSUMER = 'org-consumer';
const PROVIDER = 'org-provider';

const grant = (id: string, over: Partial<AccessGrant> = {}): AccessGrant => ({
  id,
  automatic: false,
  columns: [{ name: '区县', mode: 'clear' }],
  row_filter: null,
  purpose: '低保核对',
  rows_per_day: null,
  requests_per_minute: null,
  ip_ranges: [],
  series_terms: null,
  service_terms: null,
  state: 'active',
  expired: false,
  expires_at: new Date(NOW + 30 * 24 * HOUR).toISOString(),
  suspended: false,
  ...over,
});

const context = (over: { dataset?: Partial<AccessContext['dataset']>; grants?: AccessGrant[]; containments?: AccessContainment[] } = {}): AccessContext => ({
  dataset: {
    id: 'ds-id',
    code: '210100-000001',
    name: '户籍人口信息',
    relation: 'ds_0001',
    status: 'published',
    share_type: 'conditional',
    provider_org_id: PROVIDER,
    important_candidate: false,
    resource_kind: 'table',
    ...over.dataset,
  },
  columns: [],
  grants: over.grants ?? [grant('g-1')],
  containments: over.containments ?? [],
  dataKeys: [],
  revision: 1,
  scopes: ['ds-id'],
});

interface Case {
  title: string;
  ctx: AccessContext | undefined;
  who?: Partial<Requester>;
  grantId?: string;
  kind?: AccessContext['dataset']['resource_kind'];
}

const containment = (kind: AccessContainment['kind'], target: string, until: number | null = null): AccessContainment => ({
  id: `c-${kind}`,
  kind,
  target_id: target,
  until: until === null ? null : new Date(until).toISOString(),
});

const CASES: Case[] = [
  { title: 'one active grant', ctx: context() },
  { title: 'no such dataset', ctx: undefined },
  { title: 'a draft, to another organisation', ctx: context({ dataset: { status: 'draft' } }) },
  { title: 'a draft, to its provider', ctx: context({ dataset: { status: 'draft' } }), who: { orgId: PROVIDER } },
  { title: 'a telemetry set read on the records path', ctx: context({ dataset: { resource_kind: 'telemetry' } }) },
  { title: '不予共享', ctx: context({ dataset: { share_type: 'none' } }) },
  { title: 'the provider reads its own dataset', ctx: context(), who: { orgId: PROVIDER } },
  { title: 'no grant (conditional)', ctx: context({ grants: [] }) },
  { title: 'unconditional, no automatic grant yet', ctx: context({ dataset: { share_type: 'unconditional' }, grants: [] }) },
  {
    title: 'unconditional: the requested grant before the automatic one',
    ctx: context({ dataset: { share_type: 'unconditional' }, grants: [grant('g-auto', { automatic: true }), grant('g-req')] }),
  },
  { title: 'an automatic grant left from when the dataset was unconditional', ctx: context({ grants: [grant('g-auto', { automatic: true })] }) },
  { title: 'a live grant before a newer revoked one', ctx: context({ grants: [grant('g-revoked', { state: 'revoked' }), grant('g-live')] }) },
  { title: 'a grant named by id', ctx: context({ grants: [grant('g-1'), grant('g-2')] }), grantId: 'g-2' },
  { title: 'a grant named by id that is not the organisation’s', ctx: context(), grantId: 'g-other' },
  { title: 'revoked', ctx: context({ grants: [grant('g-1', { state: 'revoked' })] }) },
  { title: 'its end one millisecond ago', ctx: context({ grants: [grant('g-1', { expires_at: new Date(NOW - 1).toISOString() })] }) },
  { title: 'its end at this instant', ctx: context({ grants: [grant('g-1', { expires_at: new Date(NOW).toISOString() })] }) },
  { title: 'its end one millisecond ahead', ctx: context({ grants: [grant('g-1', { expires_at: new Date(NOW + 1).toISOString() })] }) },
  { title: 'no end', ctx: context({ grants: [grant('g-1', { expires_at: null })] }) },
  { title: 'suspended (a paused return flow)', ctx: context({ grants: [grant('g-1', { suspended: true })] }) },
  { title: 'IPv4 range, address inside', ctx: context({ grants: [grant('g-1', { ip_ranges: ['10.20.0.0/16'] })] }), who: { ip: '10.20.3.4' } },
  { title: 'IPv4 range, address outside', ctx: context({ grants: [grant('g-1', { ip_ranges: ['10.20.0.0/16'] })] }), who: { ip: '10.21.3.4' } },
  {
    title: 'IPv4 range, IPv4-mapped IPv6 address inside',
    ctx: context({ grants: [grant('g-1', { ip_ranges: ['10.20.0.0/16'] })] }),
    who: { ip: '::ffff:10.20.3.4' },
  },
  { title: 'single address, the same address', ctx: context({ grants: [grant('g-1', { ip_ranges: ['192.0.2.7'] })] }), who: { ip: '192.0.2.7' } },
  { title: 'IPv6 range, address inside', ctx: context({ grants: [grant('g-1', { ip_ranges: ['2001:db8::/32'] })] }), who: { ip: '2001:db8:1::5' } },
  { title: 'IPv6 range, IPv4 address', ctx: context({ grants: [grant('g-1', { ip_ranges: ['2001:db8::/32'] })] }), who: { ip: '10.20.3.4' } },
  { title: 'IP ranges, no address known', ctx: context({ grants: [grant('g-1', { ip_ranges: ['10.20.0.0/16'] })] }), who: { ip: undefined } },
  { title: 'containment: this grant suspended', ctx: context({ containments: [containment('suspend_grant', 'g-1')] }) },
  { title: 'containment: another grant of the organisation suspended', ctx: context({ containments: [containment('suspend_grant', 'g-other')] }) },
  { title: 'containment: the dataset frozen', ctx: context({ containments: [containment('freeze_dataset', 'ds-id')] }) },
  { title: 'containment: the key suspended', ctx: context({ containments: [containment('suspend_key', 'key-1')] }) },
  { title: 'containment: the key throttled, until an hour ahead', ctx: context({ containments: [containment('throttle_key', 'key-1', NOW + HOUR)] }) },
  { title: 'containment: the key throttled, until a minute ago (over)', ctx: context({ containments: [containment('throttle_key', 'key-1', NOW - 60_000)] }) },
];

/** The answer of `decide` as one line: the grant read under, or the refusal. */
function answer(c: Case): string {
  try {
    const who: Requester = { orgId: CONSUMER, ip: '10.20.3.4', ...c.who };
    const got = decide(asOfNow(c.ctx, NOW), who, '210100-000001', c.grantId, c.kind ?? 'table');
    return got === 'make_automatic' ? 'make the automatic grant, then decide again' : `reads under ${got.id}`;
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return `refused ${error.status} ${error.code}`;
  }
}

describe('choosing and checking the grant of a request', () => {
  it('matches the checked-in decisions', async () => {
    const lines = CASES.map((c) => `${c.title}: ${answer(c)}`);
    await expect([...lines, ''].join('\n')).toMatchFileSnapshot('./grant.snapshot.txt');
  });

  it('decides without the automatic grant on the second pass', () => {
    const ctx = asOfNow(context({ dataset: { share_type: 'unconditional' }, grants: [] }), NOW);
    expect(() => decide(ctx, { orgId: CONSUMER, ip: undefined }, '210100-000001', undefined, 'table', false)).toThrow(
      expect.objectContaining({ code: 'no_grant' }),
    );
  });
});
