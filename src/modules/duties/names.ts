/**
 * Names on duties' rows: organisations through identity (`identity.names`), datasets through the
 * catalogue (`catalog.names`), one call of each for a whole list (issue 14, point 2: duties' SQL
 * names only its own tables).
 */
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { DemandFields, DemandRow, RatingFields, RatingRow, ReturnFlowFields, ReturnFlowRow } from './duties.repo.ts';

export interface NameSources {
  identity: Pick<IdentityService, 'names'>;
  catalog: Pick<CatalogService, 'names'>;
}

const present = (ids: (string | null)[]) => ids.filter((id): id is string => id !== null);

/** Return flows with their dataset's code and name and their provider's name. */
export async function namedFlows({ identity, catalog }: NameSources, rows: ReturnFlowFields[]): Promise<ReturnFlowRow[]> {
  if (!rows.length) return [];
  const [names, datasets] = await Promise.all([identity.names({ orgs: rows.map((f) => f.provider_org_id) }), catalog.names(rows.map((f) => f.dataset_id))]);
  return rows.map((f) => ({
    ...f,
    dataset_code: datasets.get(f.dataset_id)?.code ?? '',
    dataset_name: datasets.get(f.dataset_id)?.name ?? '',
    provider_name: names.orgs.get(f.provider_org_id)?.name ?? '',
  }));
}

/** Data needs with the names of the raising, suggested and assigned organisations and the answering dataset's code and name. */
export async function namedDemands({ identity, catalog }: NameSources, rows: DemandFields[]): Promise<DemandRow[]> {
  if (!rows.length) return [];
  const [names, datasets] = await Promise.all([
    identity.names({ orgs: rows.flatMap((m) => present([m.raised_org_id, m.suggested_org_id, m.assigned_org_id])) }),
    catalog.names(present(rows.map((m) => m.answer_dataset_id))),
  ]);
  const org = (id: string | null) => (id === null ? null : (names.orgs.get(id)?.name ?? null));
  const dataset = (id: string | null) => (id === null ? undefined : datasets.get(id));
  return rows.map((m) => ({
    ...m,
    raised_org_name: org(m.raised_org_id) ?? '',
    suggested_org_name: org(m.suggested_org_id),
    assigned_org_name: org(m.assigned_org_id),
    answer_dataset_code: dataset(m.answer_dataset_id)?.code ?? null,
    answer_dataset_name: dataset(m.answer_dataset_id)?.name ?? null,
  }));
}

/** Ratings with their organisation's name. */
export async function namedRatings({ identity }: Pick<NameSources, 'identity'>, rows: RatingFields[]): Promise<RatingRow[]> {
  if (!rows.length) return [];
  const names = await identity.names({ orgs: rows.map((r) => r.org_id) });
  return rows.map((r) => ({ ...r, org_name: names.orgs.get(r.org_id)?.name ?? '' }));
}
