/**
 * Push subscriptions (库表推送, issue 16 point 3): a consumer organisation has the view its grant
 * allows delivered into a table of its own database, on a schedule.
 *
 * What is delivered is what the records API would answer under the grant, read through the records
 * service itself (`records.open`, action `data.push`): the same grant checks (state, expiry, IP
 * ranges against the target's address, containment), the same compiled view (granted columns in
 * their granted forms, row filter), the same masking and pseudonyms, the same daily row quota and
 * a `data.push` audit record per chunk before the chunk goes on. The rows go into ONE transaction at
 * the target; a delivery record (`exchange.push`: rows, columns and forms, target) is written to the
 * audit log before that transaction commits, and when it cannot be written nothing commits.
 *
 * Incremental rule: the rows a dataset gains by appended versions are numbered after every earlier
 * row (`_row`). A delivery after the first sends only the rows numbered after the greatest one
 * delivered, and only when every version made visible since the last delivery is such an append.
 * A version that replaced, corrected or upserted rows (by a key column) changes rows already
 * delivered, so that delivery sends the whole view again (replacing the table's content).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/index.ts';
import { AppError, BadRequestError, ConflictError, NotFoundError } from '../../errors.ts';
import type { Caller, Principal } from '../../http/access.ts';
import { callerEvent, type AuditEvent, type EventSink } from '../audit/events.ts';
import type { CatalogService, VersionRow } from '../catalog/catalog.service.ts';
import type { IdentityService } from '../identity/identity.service.ts';
import type { JobContext, Jobs } from '../jobs/jobs.service.ts';
import type { RecordsService } from '../share/records.service.ts';
import type { ShareService } from '../share/share.service.ts';
import type { TableRef, TargetColumn } from './connector.ts';
import type { ExchangeService } from './exchange.service.ts';
import { pushRepo, type DeliveryRow, type StoredSubscription, type SubscriptionRow } from './push.repo.ts';

export const PUSH_JOB = 'exchange.push';
/** Recorded for a failed delivery with `consecutiveFailures` (the secops syncFailures detector watches it). */
const PUSH_FAILED = 'exchange.push_failed';
/** A plain SQL identifier: the target's schema and table names (quoted by the connector as well). */
export const TARGET_IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

type Stored = { code: string; message: { zh: string; en: string }; details?: unknown };

export interface SubscriptionInput {
  grantId: string;
  targetId: string;
  /** PostgreSQL schema (default public); MySQL database (default the target's). */
  schema?: string | undefined;
  table: string;
  mode: SubscriptionRow['mode'];
  intervalMinutes: number;
}

interface PushPayload {
  subscriptionId: string;
}

const SUBSCRIPTION = { zh: '推送订阅', en: 'Push subscription' };
const GRANT = { zh: '共享授权', en: 'Grant' };

/** Refusals that end a subscription: the grant (or the dataset under it) will not come back. */
const GONE = new Set(['grant_revoked', 'grant_expired', 'no_grant', 'not_shareable', 'not_published', 'not_found', 'owner_gone']);
/** Refusals that hold only while a containment (or a paused return flow) lasts: this delivery is refused, the schedule goes on. */
const HELD = new Set(['contained', 'owner_locked', 'grant_suspended']);

/** A delivery that must not happen: the subscription stops (`stop`) or this run is refused (`hold`). */
class Refusal extends Error {
  constructor(
    readonly kind: 'stop' | 'hold',
    readonly error: AppError,
  ) {
    super(error.code);
  }
}

const stored = (error: unknown): Stored =>
  error instanceof AppError
    ? { code: error.code, message: error.text, ...(error.details === undefined ? {} : { details: error.details }) }
    : { code: 'push_failed', message: { zh: `推送失败：${String(error)}`, en: `Delivery failed: ${String(error)}` } };

/** The dataset's visible version: the greatest active one. */
export function currentVersion(versions: readonly Pick<VersionRow, 'version' | 'state'>[]): number | null {
  return versions.reduce<number | null>((max, v) => (v.state === 'active' && (max === null || v.version > max) ? v.version : max), null);
}

/**
 * May the rows since version `since` be sent alone? Only when every version made visible after it
 * appended rows and replaced none (no replace, correction or upsert by a key column).
 */
export function appendsOnly(versions: readonly Pick<VersionRow, 'version' | 'state' | 'mode' | 'source'>[], since: number): boolean {
  return versions
    .filter((v) => v.version > since && (v.state === 'active' || v.state === 'superseded'))
    .every((v) => v.mode === 'append' && !(v.source as { key?: unknown } | null)?.key);
}

/** A subscription as the API shows it. */
export function subscriptionView(s: SubscriptionRow) {
  return {
    id: s.id,
    grantId: s.grant_id,
    dataset: s.dataset_code,
    datasetName: s.dataset_name,
    targetId: s.target_id,
    targetName: s.target_name,
    schema: s.target_schema,
    table: s.target_table,
    mode: s.mode,
    intervalMinutes: s.interval_minutes,
    nextRunAt: s.next_run_at,
    state: s.state,
    stopReason: s.stop_reason,
    lastVersion: s.last_version,
    lastDeliveredAt: s.last_delivered_at,
    consecutiveFailures: s.consecutive_failures,
    lastError: s.last_error,
    createdAt: s.created_at,
  };
}

export function deliveryView(d: DeliveryRow) {
  return {
    id: d.id,
    jobId: d.job_id,
    status: d.status,
    mode: d.mode,
    version: d.version,
    rows: d.rows,
    error: d.error,
    startedAt: d.started_at,
    finishedAt: d.finished_at,
    durationMs: d.duration_ms,
  };
}

export function createPushService(deps: {
  db: Db;
  events: EventSink;
  jobs: Pick<Jobs, 'enqueue' | 'handle' | 'get'>;
  records: Pick<RecordsService, 'open' | 'resolve'>;
  share: Pick<ShareService, 'grant'>;
  catalog: Pick<CatalogService, 'versions' | 'names'>;
  identity: Pick<IdentityService, 'getUser'>;
  exchange: Pick<ExchangeService, 'ownSource' | 'connect' | 'repo'>;
}) {
  const { db, events, jobs, records, exchange } = deps;
  const subscriptions = pushRepo(db);

  /** Subscriptions with their dataset's code and name, read from the catalogue in one call. */
  async function named(rows: StoredSubscription[]): Promise<SubscriptionRow[]> {
    const names = await deps.catalog.names(rows.map((s) => s.dataset_id));
    return rows.flatMap((s) => {
      const d = names.get(s.dataset_id);
      return d ? [{ ...s, dataset_code: d.code, dataset_name: d.name }] : [];
    });
  }
  const repo = {
    ...subscriptions,
    byId: async (id: string) => {
      const s = await subscriptions.byId(id);
      return s && (await named([s]))[0];
    },
    ofOrg: async (orgId: string) => named(await subscriptions.ofOrg(orgId)),
  };

  const record = (caller: Caller, event: Omit<AuditEvent, 'actor' | 'requestId' | 'ip'>) => events.record(callerEvent(caller, event));

  async function own(caller: Caller, id: string): Promise<SubscriptionRow> {
    const s = await repo.byId(id);
    if (!s || s.org_id !== caller.principal.orgId) throw new NotFoundError(SUBSCRIPTION);
    return s;
  }

  /** The account a delivery acts as: the subscription's creator, as long as it may still act. */
  async function ownerOf(s: SubscriptionRow): Promise<Principal> {
    const user = await deps.identity.getUser(s.created_by).catch(() => undefined);
    if (!user || user.disabled || user.org_id !== s.org_id || !user.roles.some((r) => r === 'consumer' || r === 'data_officer')) {
      throw new Refusal(
        'stop',
        new ConflictError('owner_gone', {
          zh: '创建该订阅的账号已停用或已调离本单位',
          en: 'The account that made this subscription is disabled or left the organisation',
        }),
      );
    }
    if (user.locked_until && new Date(user.locked_until) > new Date()) {
      throw new Refusal(
        'hold',
        new ConflictError('owner_locked', {
          zh: '创建该订阅的账号已被锁定（安全处置中）',
          en: 'The account that made this subscription is locked (incident response)',
        }),
      );
    }
    return { kind: 'user', userId: user.id, username: user.username, orgId: s.org_id, roles: user.roles };
  }

  /** The grant checks of the records path, with refusals sorted into "stop" and "hold". */
  async function checkGrant(caller: Caller, s: SubscriptionRow) {
    try {
      return await records.resolve(caller, s.dataset_code, s.grant_id);
    } catch (error) {
      if (error instanceof AppError && GONE.has(error.code)) throw new Refusal('stop', error);
      if (error instanceof AppError && HELD.has(error.code)) throw new Refusal('hold', error);
      throw error;
    }
  }

  /** One delivery; throws a Refusal, or any error of a failed delivery (nothing committed at the target). */
  async function deliverOnce(
    ctx: JobContext,
    s: SubscriptionRow,
    deliveryId: string,
  ): Promise<{ status: 'delivered' | 'unchanged'; mode: SubscriptionRow['mode']; version: number | null; rows: number }> {
    const principal = await ownerOf(s);
    const targetRow = await exchange.repo.sourceById(s.target_id);
    if (!targetRow || targetRow.state !== 'active') {
      throw new ConflictError('target_disabled', { zh: `目标库 ${s.target_name} 已停用`, en: `Target database ${s.target_name} is disabled` });
    }
    const { connector, address } = await exchange.connect(targetRow);
    try {
      // The rows go to the target's address: the grant's IP ranges are checked against it.
      const caller: Caller = { principal, requestId: `push-${deliveryId}`, ip: address };
      await checkGrant(caller, s);
      const versions = await deps.catalog.versions(principal, s.dataset_code);
      const version = currentVersion(versions);
      const incremental = s.mode === 'incremental' && s.last_version !== null && appendsOnly(versions, s.last_version);
      const mode = incremental ? 'incremental' : 'full';
      if (incremental && version === s.last_version) return { status: 'unchanged', mode, version, rows: 0 };
      if (!connector.write)
        throw new BadRequestError('target_kind_unsupported', {
          zh: `类型为 ${targetRow.kind} 的数据库不能作为推送目标`,
          en: `A ${targetRow.kind} database cannot be a push target`,
        });

      const table: TableRef = { schema: s.target_schema, table: s.target_table };
      const where = {
        subscription: s.id,
        name: targetRow.name,
        kind: targetRow.kind,
        host: targetRow.host,
        port: targetRow.port,
        database: targetRow.database,
        schema: table.schema,
        table: table.table,
      };
      const stream = await records.open(
        caller,
        s.dataset_code,
        {
          filter: { and: [] },
          order: [],
          limit: Number.MAX_SAFE_INTEGER,
          grant: s.grant_id,
          rowId: true,
          ...(incremental && s.last_row !== null ? { after: String(s.last_row) } : {}),
        },
        'data.push',
        { target: where, mode },
      );
      const columns: TargetColumn[] = stream.columns.map((c, i) => ({ name: c.name, type: c.mode === 'clear' ? stream.types[i]! : 'text' }));
      const write = await connector.write(table, columns, { replace: !incremental });
      let rows = 0;
      let lastRow = incremental ? s.last_row : null;
      try {
        for await (const chunk of stream.chunks) {
          const values = chunk.map((r) => columns.map((c) => r[c.name] ?? null));
          for (const r of chunk) lastRow = Math.max(lastRow ?? 0, Number(r._row));
          await write.insert(values);
          rows += chunk.length;
          await ctx.progress({ phase: 'delivering', rows });
        }
        if (stream.next() !== null) {
          throw new ConflictError('push_quota', {
            zh: '授权的每日行数上限在推送中途用尽；本次推送未提交，稍后重试',
            en: "The grant's daily row quota ran out during the delivery; nothing was committed, it is retried later",
          });
        }
        // A replace or correction made visible while the rows were read: they may mix two versions.
        if (!appendsOnly(await deps.catalog.versions(principal, s.dataset_code), version ?? 0)) {
          throw new ConflictError('dataset_changed', {
            zh: '推送期间数据资源发布了替换或更正版本；本次推送未提交，稍后重试',
            en: 'The dataset was replaced or corrected during the delivery; nothing was committed, it is retried later',
          });
        }
        // Audit before commit: if this record cannot be written, the target's transaction rolls back.
        await record(caller, {
          action: 'exchange.push',
          result: 'success',
          dataset: s.dataset_code,
          target: { type: 'subscription', id: s.id, label: `${targetRow.name}:${table.schema}.${table.table}` },
          details: {
            columns: stream.columns,
            rowCount: rows,
            grantId: s.grant_id,
            grant: s.grant_id,
            mode,
            version,
            target: where,
            delivery: deliveryId,
            createdTable: write.created,
          },
        });
        await write.commit();
      } catch (error) {
        await write.abort();
        throw error;
      }
      await repo.delivered(s.id, { version: version ?? 0, lastRow });
      return { status: 'delivered', mode, version, rows };
    } finally {
      await connector.close();
    }
  }

  async function runPush(ctx: JobContext) {
    const { subscriptionId } = ctx.job.payload as unknown as PushPayload;
    const s = await repo.byId(subscriptionId);
    if (!s || s.state === 'stopped') return { skipped: true };
    const deliveryId = randomUUID();
    await repo.startDelivery({ id: deliveryId, subscriptionId: s.id, jobId: ctx.job.id });
    const target = { type: 'subscription', id: s.id, label: `${s.target_name}:${s.target_schema}.${s.target_table}` };
    const actor = { userId: s.created_by, orgId: s.org_id };
    try {
      const outcome = await deliverOnce(ctx, s, deliveryId);
      if (outcome.status === 'unchanged') await repo.quiet(s.id);
      await repo.finishDelivery(deliveryId, outcome);
      return { deliveryId, ...outcome };
    } catch (error) {
      if (error instanceof Refusal) {
        const reason = stored(error.error);
        if (error.kind === 'stop') await repo.stop(s.id, reason);
        else await repo.quiet(s.id);
        await repo.finishDelivery(deliveryId, { status: error.kind === 'stop' ? 'stopped' : 'refused', error: reason });
        await events.record({
          action: error.kind === 'stop' ? 'exchange.push_stopped' : 'exchange.push_refused',
          result: 'denied',
          actor,
          dataset: s.dataset_code,
          target,
          details: { reason: reason.code, delivery: deliveryId },
        });
        return { deliveryId, status: error.kind === 'stop' ? 'stopped' : 'refused', reason: reason.code };
      }
      const failure = stored(error);
      const failures = await repo.failed(s.id, failure);
      await repo.finishDelivery(deliveryId, { status: 'failed', error: failure });
      await events.record({
        action: PUSH_FAILED,
        result: 'failure',
        actor,
        dataset: s.dataset_code,
        target,
        details: { error: failure.code, consecutiveFailures: failures, delivery: deliveryId },
      });
      throw error;
    } finally {
      await repo.setPending(s.id, null);
    }
  }

  jobs.handle(PUSH_JOB, runPush);

  /** Queues a delivery unless one is queued or running already; returns the job id. */
  async function enqueue(s: Pick<SubscriptionRow, 'id' | 'pending_job' | 'created_by'>, userId: string): Promise<string> {
    if (s.pending_job) {
      const job = await jobs.get(s.pending_job);
      if (job && (job.state === 'queued' || job.state === 'running')) return job.id;
    }
    const jobId = await jobs.enqueue(PUSH_JOB, { subscriptionId: s.id } satisfies PushPayload, userId);
    await repo.setPending(s.id, jobId);
    return jobId;
  }

  const service = {
    repo,

    /** Subscribes a target table of the caller's organisation to the view of one of its active grants. */
    async subscribe(caller: Caller, input: SubscriptionInput) {
      const p = caller.principal;
      const grant = await deps.share.grant(p, input.grantId);
      // A provider's officer sees the grants of its datasets too: only the consumer subscribes.
      if (grant.consumer_org_id !== p.orgId) throw new NotFoundError(GRANT);
      const target = await exchange.ownSource(caller, input.targetId, 'target');
      const schema = input.schema ?? (target.kind === 'mysql' ? target.database : 'public');
      for (const [field, value] of [
        ['schema', schema],
        ['table', input.table],
      ] as const) {
        if (!TARGET_IDENT.test(value)) {
          throw new BadRequestError(
            'invalid_identifier',
            {
              zh: `${field} 须为字母或下划线开头、由字母数字下划线组成的名称（至多 63 个字符）`,
              en: `${field} must be a name of letters, digits and underscores starting with a letter or underscore (up to 63 characters)`,
            },
            { field },
          );
        }
      }
      if (await repo.byTable(target.id, schema, input.table)) {
        throw new ConflictError(
          'subscription_exists',
          { zh: `目标表 ${schema}.${input.table} 已被另一推送订阅使用`, en: `Target table ${schema}.${input.table} is used by another subscription` },
          { field: 'table' },
        );
      }
      // The grant checks of the records path now (state, expiry, containment, IP ranges against the target's address).
      const { connector, address } = await exchange.connect(target);
      await connector.close();
      const access = await records.resolve({ ...caller, ip: address }, grant.dataset_code, grant.id);
      const columns = access.view.filter((c) => c.mode !== 'hidden' && c.mode !== 'verify').map((c) => ({ name: c.name, mode: c.mode }));
      if (columns.length === 0) {
        throw new BadRequestError(
          'no_readable_columns',
          { zh: '该授权没有可查询的信息项（仅可核验），不能推送', en: 'This grant has no readable columns (verification only); nothing can be pushed' },
          { field: 'grantId' },
        );
      }
      const id = randomUUID();
      await repo.insert({
        id,
        org_id: p.orgId,
        grant_id: grant.id,
        dataset_id: grant.dataset_id,
        target_id: target.id,
        target_schema: schema,
        target_table: input.table,
        mode: input.mode,
        interval_minutes: input.intervalMinutes,
        created_by: p.userId,
      });
      await record(caller, {
        action: 'exchange.subscribe',
        result: 'success',
        dataset: grant.dataset_code,
        target: { type: 'subscription', id, label: `${target.name}:${schema}.${input.table}` },
        details: { grant: grant.id, mode: input.mode, intervalMinutes: input.intervalMinutes, columns },
      });
      return subscriptionView((await repo.byId(id))!);
    },

    list: async (caller: Caller) => (await repo.ofOrg(caller.principal.orgId)).map(subscriptionView),
    get: async (caller: Caller, id: string) => subscriptionView(await own(caller, id)),

    /** Pause or resume (resuming delivers at the next tick). A stopped subscription cannot resume. */
    async setState(caller: Caller, id: string, state: 'active' | 'paused') {
      const s = await own(caller, id);
      if (s.state === 'stopped') throw stoppedError(s);
      await repo.setState(s.id, state);
      await record(caller, {
        action: state === 'active' ? 'exchange.subscription_resume' : 'exchange.subscription_pause',
        result: 'success',
        dataset: s.dataset_code,
        target: { type: 'subscription', id },
      });
      return subscriptionView((await repo.byId(id))!);
    },

    /** Queues one delivery now (the console's 立即推送). */
    async deliverNow(caller: Caller, id: string): Promise<string> {
      const s = await own(caller, id);
      if (s.state === 'stopped') throw stoppedError(s);
      const jobId = await enqueue(s, caller.principal.userId);
      await record(caller, {
        action: 'exchange.push_request',
        result: 'success',
        dataset: s.dataset_code,
        target: { type: 'subscription', id },
        details: { jobId },
      });
      return jobId;
    },

    deliveries: async (caller: Caller, id: string) => (await repo.deliveries((await own(caller, id)).id)).map(deliveryView),

    /** Removes the subscription and its history; the target table stays (it is the consumer's). */
    async remove(caller: Caller, id: string) {
      const s = await own(caller, id);
      await repo.remove(s.id);
      await record(caller, { action: 'exchange.unsubscribe', result: 'success', dataset: s.dataset_code, target: { type: 'subscription', id } });
    },

    /** Queues the deliveries whose schedule (or retry) has come. */
    async tick(): Promise<number> {
      const due = await repo.claimDue();
      for (const s of due) await enqueue(s, s.created_by);
      return due.length;
    },
  };
  return service;
}

function stoppedError(s: SubscriptionRow): ConflictError {
  return new ConflictError(
    'subscription_stopped',
    {
      zh: `该订阅已终止（${s.stop_reason?.message.zh ?? '授权已失效'}），请基于有效授权新建订阅`,
      en: `This subscription has stopped (${s.stop_reason?.message.en ?? 'the grant is gone'}); subscribe again on an active grant`,
    },
    { reason: s.stop_reason?.code },
  );
}

export type PushService = ReturnType<typeof createPushService>;
export type { DeliveryRow, SubscriptionRow } from './push.repo.ts';
