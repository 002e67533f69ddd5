/**
 * Ratings of datasets (共享评价, issue 20 §5): a consumer whose organisation holds or held a grant on a
 * dataset rates it on quality, timeliness and usefulness (1-5 each) with an optional comment; one
 * rating per person and dataset, a new one replaces it (both audited). Everyone who sees the dataset
 * sees the count and the means; the provider's data officers and the platform authority see each
 * rating with its comment and the rating organisation (never the person).
 */
import type { Db } from '../../db/index.ts';
import { ForbiddenError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService, DatasetRow } from '../catalog/catalog.service.ts';
import type { ShareService } from '../share/share.service.ts';
import { dutiesRepo, type RatingRow, type RatingSummaryRow } from './duties.repo.ts';
import { namedRatings, type NameSources } from './names.ts';
import { actsForAuthority, type DutiesSettings } from './duties.settings.ts';

export interface RatingsDeps {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'get'>;
  /** The names of the raters' organisations. */
  identity: NameSources['identity'];
  share: Pick<ShareService, 'heldGrant' | 'notify'>;
  settings: () => Promise<DutiesSettings>;
}

export interface RatingInput {
  quality: number;
  timeliness: number;
  usefulness: number;
  comment?: string | null;
}

/** The mean of a rating's three dimensions. */
export const overallOf = (r: Pick<RatingSummaryRow, 'quality' | 'timeliness' | 'usefulness'>): number => (r.quality + r.timeliness + r.usefulness) / 3;

const scoresOf = (r: Pick<RatingRow, 'quality' | 'timeliness' | 'usefulness'>) => ({ quality: r.quality, timeliness: r.timeliness, usefulness: r.usefulness });

export function createRatingsService(deps: RatingsDeps) {
  const { db, events, catalog, share } = deps;
  const repo = dutiesRepo(db);

  /** Only a consumer of an organisation that holds or held a grant on the dataset rates it. */
  async function mayRate(p: Principal, d: DatasetRow): Promise<boolean> {
    return p.kind === 'user' && p.roles.includes('consumer') && d.provider_org_id !== p.orgId && (await share.heldGrant(d.id, p.orgId));
  }

  /** Who sees each rating with its comment: the provider's data officers and the platform authority. */
  async function seesReviews(p: Principal, d: DatasetRow): Promise<boolean> {
    return (d.provider_org_id === p.orgId && p.roles.includes('data_officer')) || actsForAuthority(await deps.settings(), p);
  }

  const service = {
    /** The ratings of a dataset as the caller may see them, and whether the caller may rate it. */
    async summary(p: Principal, code: string) {
      const d = await catalog.get(p, code);
      const [summary] = await repo.ratingSummaries([d.id]);
      const own = await repo.rating(d.id, p.userId);
      const others = (await seesReviews(p, d)) ? await repo.ratings(d.id) : null;
      // One names statement for the caller's rating and the reviews together.
      const named = await namedRatings(deps, [...(own ? [own] : []), ...(others ?? [])]);
      const mine = own ? named[0] : undefined;
      const reviews = others ? named.slice(own ? 1 : 0) : null;
      return { dataset: d, summary: summary ?? null, mine: mine ?? null, canRate: await mayRate(p, d), reviews };
    },

    /** Rates the dataset, or replaces the caller's earlier rating of it. */
    async rate(caller: Caller, code: string, input: RatingInput) {
      const p = caller.principal;
      const d = await catalog.get(p, code);
      if (!(await mayRate(p, d))) {
        throw new ForbiddenError('no_grant', {
          zh: '只有持有或曾持有该资源共享授权的使用方可以评价',
          en: 'Only a consumer whose organisation holds or held a grant on this dataset rates it',
        });
      }
      const before = await repo.rating(d.id, p.userId);
      const comment = input.comment?.trim() ? input.comment.trim() : null;
      await repo.saveRating({
        dataset_id: d.id,
        user_id: p.userId,
        org_id: p.orgId,
        quality: input.quality,
        timeliness: input.timeliness,
        usefulness: input.usefulness,
        comment,
      });
      const after = { ...scoresOf(input), comment };
      await events.record(
        callerEvent(caller, {
          action: before ? 'duties.rating_replace' : 'duties.rating_create',
          result: 'success',
          dataset: d.code,
          target: { type: 'dataset', id: d.id, label: d.name },
          details: { ...(before ? { before: { ...scoresOf(before), comment: before.comment } } : {}), after },
        }),
      );
      await share.notify({
        kind: 'duties.rated',
        title: {
          zh: `共享评价：${d.name}（质量 ${input.quality} · 及时 ${input.timeliness} · 实用 ${input.usefulness}）`,
          en: `Rating: ${d.name} (quality ${input.quality} · timeliness ${input.timeliness} · usefulness ${input.usefulness})`,
        },
        body: { dataset: d.code, ...after },
        link: `/catalog/${d.code}`,
        orgRole: { orgId: d.provider_org_id, role: 'data_officer' },
      });
      return service.summary(p, code);
    },

    /** Count and means of the ratings of every rated dataset. */
    summaries: () => repo.ratingSummaries(null),
  };
  return service;
}

export type RatingsService = ReturnType<typeof createRatingsService>;
