/**
 * Catalogue upkeep (目录挂接, issue 20 §5): every catalogue entry's upkeep for the catalogue API, and
 * the sweep that reminds a provider's data officers of an overdue entry once per overdue period, the
 * way the request sweep (duties.service.ts) reminds of a deadline: claimed in the database, so several
 * processes send one, then audited and notified.
 */
import type { Db } from '../../db/index.ts';
import type { EventSink } from '../audit/events.ts';
import { CYCLE_LABELS } from '../catalog/catalog.export.ts';
import type { CatalogService, DatasetRow, UpkeepFactsRow } from '../catalog/catalog.service.ts';
import type { Upkeep } from '../catalog/upkeep.ts';
import type { ShareService } from '../share/share.service.ts';
import type { TelemetryService } from '../telemetry/telemetry.service.ts';
import { dutiesRepo } from './duties.repo.ts';
import { judgeUpkeep, reminderPeriod } from './upkeep.ts';

const CYCLE_EN = {
  realtime: 'real time',
  daily: 'daily',
  weekly: 'weekly',
  monthly: 'monthly',
  quarterly: 'quarterly',
  yearly: 'yearly',
  irregular: 'irregular',
} as const;

export interface UpkeepDeps {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'upkeepFacts'>;
  telemetry: Pick<TelemetryService, 'lastSamples'>;
  share: Pick<ShareService, 'notify'>;
  now: () => Date;
}

/** A catalogue entry with its upkeep. */
export interface UpkeepEntry {
  facts: UpkeepFactsRow;
  upkeep: Upkeep;
}

export function createUpkeepService(deps: UpkeepDeps) {
  const { db, events, catalog, telemetry, share, now } = deps;
  const repo = dutiesRepo(db);

  async function judge(facts: UpkeepFactsRow[], at: Date): Promise<UpkeepEntry[]> {
    const samples = await telemetry.lastSamples(facts.filter((f) => f.resource_kind === 'telemetry').map((f) => f.id));
    return facts.map((f) => ({ facts: f, upkeep: judgeUpkeep(f, samples.get(f.id), at) }));
  }

  const service = {
    /** The upkeep of the given entries (the catalogue API's `upkeep` field). */
    async of(rows: DatasetRow[]): Promise<Map<string, Upkeep>> {
      if (rows.length === 0) return new Map();
      const entries = await judge(await catalog.upkeepFacts(rows.map((r) => r.id)), now());
      return new Map(entries.map((e) => [e.facts.id, e.upkeep]));
    },

    /** Every catalogue entry with its upkeep at `at`. */
    entries: async (at = now()): Promise<UpkeepEntry[]> => judge(await catalog.upkeepFacts(null), at),

    /** One pass: each overdue published entry's provider officers are reminded once in the current overdue period. */
    async sweep(at = now()): Promise<{ reminded: string[] }> {
      const reminded: string[] = [];
      for (const { facts: d, upkeep } of await service.entries(at)) {
        if (upkeep.state !== 'overdue' || !upkeep.dueAt) continue;
        if (!(await repo.claimUpkeepReminder(d.id, reminderPeriod(at, d.update_cycle), upkeep.dueAt, at))) continue;
        reminded.push(d.code);
        const details = { cycle: d.update_cycle, dueAt: upkeep.dueAt, lastUpdatedAt: upkeep.lastUpdatedAt, providerOrgId: d.provider_org_id };
        await events.record({
          action: 'duties.upkeep_reminder',
          result: 'success',
          dataset: d.code,
          target: { type: 'dataset', id: d.id, label: d.name },
          details,
        });
        await share.notify({
          kind: 'duties.upkeep_overdue',
          title: {
            zh: `目录资源逾期未更新（更新周期：${CYCLE_LABELS[d.update_cycle]}）：${d.name}`,
            en: `Catalogue entry not updated on time (${CYCLE_EN[d.update_cycle]}): ${d.name}`,
          },
          body: { dataset: d.code, ...details },
          link: `/catalog/${d.code}`,
          orgRole: { orgId: d.provider_org_id, role: 'data_officer' },
        });
      }
      return { reminded };
    },
  };
  return service;
}

export type UpkeepService = ReturnType<typeof createUpkeepService>;
