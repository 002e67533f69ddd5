/**
 * The CDC worker: every active `cdc` binding is streamed by one pdx process at a time. A process
 * takes a binding by starting a job of kind `exchange.cdc` (jobs.begin) and pointing the binding's
 * `cdc_job` at it, only while no other such job is alive (running with a fresh heartbeat), so a
 * killed process's binding is taken over once its heartbeat is stale. The stream's committed
 * transactions are gathered into small batches; each batch is one load through the ingest pipeline
 * (cdcApply) whose commit moves the binding's LSN, and only then is the source told (acknowledged).
 * Transactions at or below the stored LSN (resent after a restart) are skipped.
 */
import type { Db } from '../../db/index.ts';
import type { Jobs, JobContext } from '../jobs/jobs.service.ts';
import type { ChangeStream, SourceTransaction } from './connector.ts';
import { exchangeRepo, type BindingRow } from './exchange.repo.ts';
import { lsnAfter, type ExchangeService } from './exchange.service.ts';

export const CDC_JOB = 'exchange.cdc';

export interface CdcOptions {
  /** How often the worker looks for bindings to take (and renews its heartbeat). */
  pollMs?: number;
  /** A batch is applied once it holds this many changes … */
  batchChanges?: number;
  /** … or this long after its first transaction arrived. */
  batchMs?: number;
}

interface Session {
  binding: BindingRow;
  ctx: JobContext;
  stop(): Promise<void>;
  done: Promise<void>;
}

export function createCdcWorker(
  deps: { db: Db; exchange: ExchangeService; jobs: Pick<Jobs, 'begin' | 'alive' | 'failAbandoned'>; onError: (error: unknown) => void },
  options: CdcOptions = {},
) {
  const { db, exchange, jobs, onError } = deps;
  const repo = exchange.repo;
  const pollMs = options.pollMs ?? 2_000;
  const batchChanges = options.batchChanges ?? 5_000;
  const batchMs = options.batchMs ?? 500;
  const sessions = new Map<string, Session>();
  /** Bindings whose stream failed: consecutive failures and when to try again (2 s doubling, at most 5 min). */
  const backoff = new Map<string, { failures: number; until: number }>();
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let running = false;

  /** Streams one binding until stopped or failed; the job ends with it. */
  async function run(binding: BindingRow, job: Awaited<ReturnType<Jobs['begin']>>): Promise<Session> {
    const { ctx } = job;
    let stopped = false;
    let wake: (() => void) | undefined;
    let failure: unknown;
    let counted = false;
    const pending: SourceTransaction[] = [];
    let pendingChanges = 0;
    let firstAt = 0;
    let applying = false;
    let drained: (() => void) | undefined;
    let stream: ChangeStream | undefined;
    const signal = () => {
      wake?.();
      wake = undefined;
    };
    const source = (await repo.sourceById(binding.source_id))!;
    const { connector } = await exchange.connect(source);

    const loop = (async () => {
      try {
        let current = (await repo.bindingById(binding.id))!;
        if (current.cdc_lsn === null) {
          counted = true;
          await exchange.cdc.snapshot(ctx, current, source, connector);
          counted = false;
          current = (await repo.bindingById(binding.id))!;
        }
        let applied = current.cdc_lsn;
        stream = await connector.replication!.stream(current.cdc_slot!, current.cdc_publication!, applied === '0/0' ? null : applied, {
          async onTransaction(tx) {
            // Resent after a restart: applied already, in the version that moved the LSN past it.
            if (!lsnAfter(tx.lsn, applied)) return;
            if (pending.length === 0) firstAt = Date.now();
            pending.push(tx);
            pendingChanges += tx.changes.length;
            signal();
            // Back pressure: the source waits while a full batch is being applied.
            if (pendingChanges >= batchChanges * 2) await new Promise<void>((resolve) => (drained = resolve));
          },
          // Checked before any change that follows it is taken: a drifted table applies nothing more.
          onRelation: () => exchange.cdc.checkDrift(connector, current),
          idle: () => pending.length === 0 && !applying,
          onError(error) {
            failure ??= error;
            signal();
          },
        });
        while (!stopped && failure === undefined) {
          if (pending.length === 0 || (pendingChanges < batchChanges && Date.now() - firstAt < batchMs)) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, pending.length ? Math.max(1, batchMs - (Date.now() - firstAt)) : pollMs);
            });
            await ctx.progress({ phase: 'streaming' });
            continue;
          }
          applying = true;
          const batch = pending.splice(0, pending.length);
          pendingChanges = 0;
          drained?.();
          drained = undefined;
          try {
            const fresh = (await repo.bindingById(binding.id))!;
            // A failed batch is counted by apply itself.
            counted = true;
            await exchange.cdc.apply(ctx, fresh, source, batch, applied!);
            counted = false;
            applied = batch.at(-1)!.lsn;
            // Only now, with pdx's commit done, may the source forget these transactions.
            await stream.ack(applied);
            backoff.delete(binding.id);
            await ctx.progress({ phase: 'streaming', rows: batch.reduce((n, t) => n + t.changes.length, 0) });
          } finally {
            applying = false;
          }
        }
        // Stopping ends the replication connection too: that is no failure.
        if (failure !== undefined && !stopped) throw failure;
        await job.finish({ stopped: true });
      } catch (error) {
        if (!stopped && !counted) await exchange.cdc.failed(ctx, binding, error).catch(onError);
        await job.fail(error).catch(() => undefined);
        if (!stopped) {
          const failures = (backoff.get(binding.id)?.failures ?? 0) + 1;
          backoff.set(binding.id, { failures, until: Date.now() + Math.min(300_000, pollMs * 2 ** (failures - 1)) });
          onError(error);
        }
      } finally {
        drained?.();
        await stream?.stop();
        await connector.close();
        sessions.delete(binding.id);
      }
    })();
    return {
      binding,
      ctx,
      done: loop,
      async stop() {
        stopped = true;
        signal();
        drained?.();
        await stream?.stop();
        await loop;
      },
    };
  }

  /**
   * Active cdc bindings not streamed here whose streaming job is missing, ended, or silent for the
   * queue's staleSeconds: this process may take them. The heartbeats are read only for bindings
   * streamed elsewhere (no statement when this process streams them all).
   */
  async function claimable(): Promise<BindingRow[]> {
    const bindings = (await repo.cdcBindings()).filter((b) => !sessions.has(b.id));
    const streaming = bindings.map((b) => b.cdc_job);
    const alive = await jobs.alive(db, streaming);
    return bindings.filter((b) => !b.cdc_job || !alive.has(b.cdc_job));
  }

  /**
   * Takes a cdc binding for the job: under the binding's row lock, its previous job is read and the
   * binding taken only if that job is not alive. The binding with its previous job, or undefined
   * when another process took it.
   */
  function claim(id: string, job: string): Promise<(BindingRow & { previous: string | null }) | undefined> {
    return db.transaction(async (tx) => {
      const r = exchangeRepo(tx);
      const held = await r.lockCdcJob(id);
      if (!held) return undefined;
      const previous = held.cdc_job;
      if (previous && (await jobs.alive(tx, [previous])).size > 0) return undefined;
      const taken = await r.cdcClaim(id, job);
      return taken && { ...taken, previous };
    });
  }

  /** Takes the bindings no live process streams, and ends streams of bindings paused or removed, or of sources disabled, meanwhile. */
  async function tick() {
    for (const [id, session] of sessions) {
      const b = await repo.bindingById(id);
      const source = b && (await repo.sourceById(b.source_id));
      if (!b || b.state !== 'active' || b.cdc_job !== session.ctx.job.id || source?.state !== 'active') await session.stop();
    }
    for (const b of await claimable()) {
      if (!running || sessions.has(b.id) || (backoff.get(b.id)?.until ?? 0) > Date.now()) continue;
      const job = await jobs.begin(CDC_JOB, { bindingId: b.id }, b.created_by);
      const claimed = await claim(b.id, job.ctx.job.id);
      if (!claimed) {
        await job.finish({ claimed: false });
        continue;
      }
      // The previous holder died without ending its job: it ends here, as abandoned.
      if (claimed.previous)
        await jobs.failAbandoned(db, claimed.previous, {
          code: 'interrupted',
          message: { zh: '变更同步进程已退出，已由其他进程接管', en: 'The process streaming the changes stopped; another process took over' },
        });
      try {
        sessions.set(b.id, await run(claimed, job));
      } catch (error) {
        await job.fail(error).catch(() => undefined);
        onError(error);
      }
    }
  }

  exchange.cdc.stopLocal = async (bindingId: string) => {
    await sessions.get(bindingId)?.stop();
  };

  const worker = {
    sessions,
    /** One look for work now (tests). */
    tick: () => (ticking ??= tick().finally(() => (ticking = undefined))),
    start() {
      if (running) return;
      running = true;
      const next = () => {
        timer = setTimeout(async () => {
          await worker.tick().catch(onError);
          if (running) next();
        }, pollMs);
      };
      void worker.tick().catch(onError);
      next();
    },
    /** Ends every stream of this process (their jobs end; another process may take the bindings). */
    async stop() {
      running = false;
      clearTimeout(timer);
      await ticking?.catch(() => undefined);
      await Promise.all([...sessions.values()].map((s) => s.stop()));
    },
  };
  return worker;
}
