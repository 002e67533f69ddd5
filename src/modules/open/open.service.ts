/**
 * The open-data service: releases and their check (releases.ts), the portal and open API (portal.ts),
 * society users (society.ts), applications and feedback (participation.ts), and the settings the
 * security administrator keeps (thresholds, application time limit).
 */
import type { Db } from '../../db/index.ts';
import type { Caller } from '../../http/access.ts';
import { callerEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService } from '../catalog/catalog.service.ts';
import type { ReviewService } from '../classify/review.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { Mailer } from '../secops/notify.ts';
import type { ShareService } from '../share/share.service.ts';
import { createLimiter } from './limiter.ts';
import { openRepo } from './open.repo.ts';
import { loadOpenSettings, openSettingsSchema, type OpenSettings } from './open.settings.ts';
import { createParticipationService } from './participation.ts';
import { createPortalService } from './portal.ts';
import { createReleasesService } from './releases.ts';
import { createSocietyService } from './society.ts';

export interface OpenDeps {
  db: Db;
  events: EventSink;
  catalog: Pick<CatalogService, 'get' | 'getOwned' | 'search' | 'columns'>;
  review: Pick<ReviewService, 'stateOf' | 'assertPublishable'>;
  share: Pick<ShareService, 'notify'>;
  identity: Pick<IdentityService, 'listOrgs'>;
  mailer: Pick<Mailer, 'configured' | 'sendMessage'>;
  /** PDX_PUBLIC_URL: links in e-mails and the DCAT catalogue's @id. */
  publicUrl?: string;
  /** Base of e-mail links when PDX_PUBLIC_URL is unset (from the listening address in the configuration). */
  fallbackUrl: string;
  log(fields: Record<string, unknown>, message: string): void;
  limits: { anonymousPerMinute: number; keyPerMinute: number; accountPerHour: number };
  sessionIdleMinutes: number;
}

export function createOpenService(deps: OpenDeps) {
  const repo = openRepo(deps.db);
  const settings = () => loadOpenSettings(repo);
  const society = createSocietyService({
    db: deps.db,
    events: deps.events,
    mailer: deps.mailer,
    publicUrl: deps.publicUrl ?? deps.fallbackUrl,
    log: deps.log,
    limiter: createLimiter(3_600_000),
    limits: { perHour: deps.limits.accountPerHour },
    sessionIdleMinutes: deps.sessionIdleMinutes,
  });
  const releases = createReleasesService({ db: deps.db, events: deps.events, catalog: deps.catalog, review: deps.review, settings });
  const portal = createPortalService({
    db: deps.db,
    events: deps.events,
    limiter: createLimiter(60_000),
    limits: { anonymousPerMinute: deps.limits.anonymousPerMinute, keyPerMinute: deps.limits.keyPerMinute },
    ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
  });
  const participation = createParticipationService({ db: deps.db, events: deps.events, society, share: deps.share, identity: deps.identity, settings });

  return {
    releases,
    portal,
    society,
    participation,
    settings,
    /** The security administrator changes the thresholds (and the application time limit). */
    async saveSettings(caller: Caller, patch: Partial<OpenSettings>): Promise<OpenSettings> {
      const before = await settings();
      const next = openSettingsSchema.parse({ ...before, ...patch });
      await repo.saveSettings(next);
      await deps.events.record(callerEvent(caller, { action: 'open.settings.change', result: 'success', details: { before, after: next } }));
      return next;
    },
  };
}

export type OpenService = ReturnType<typeof createOpenService>;
