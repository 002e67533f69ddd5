/**
 * The audit log (过程全记录): an append-only hash chain with signed RFC 6962 tree heads.
 *
 * Appends are group-committed: events queue in the process, one transaction per batch takes the
 * chain's advisory lock (so every pdx process on the database extends one chain), reads the head,
 * hashes and inserts the batch in one multi-row INSERT, and commits. `record()` resolves only after
 * its batch committed; if the batch fails, every caller in it is rejected and must not proceed.
 */
import { AppError, BadRequestError, NotFoundError } from '../../errors.ts';
import type { Db, Queryable } from '../../db/index.ts';
import {
  accessEntries,
  accessSummary,
  checkpointOfSize,
  checkpointsAfter,
  headPolicy,
  signingKeys,
  insertCheckpoint,
  insertRecords,
  insertRecordsAfterHead,
  latestCheckpoint,
  lockChainHead,
  maxSeq,
  recordBySeq,
  recordsAfter,
  detectorCounts,
  searchRecords,
  usageRows,
  callStatsRows,
  dailyActivity,
  type AccessFilter,
  type AccessSummaryRow,
  type CheckpointRow,
  type HeadPolicy,
  type RecordFilter,
  type UsageFilter,
  type UsageRow,
  type CallStatsFilter,
  type CallStatsRow,
  type DetectorCounts,
} from './audit.repo.ts';
import { archiveRecords, type ArchivedFile } from './audit.archive.ts';
import { canonicalJson, GENESIS_HASH, type HashAlg, type Json } from './canonical.ts';
import type { AuditEvent, EventSink } from './events.ts';
import { consistencyProof, inclusionPath, leafHash, MerkleFrontier } from './merkle.ts';
import { chainHash, draftOf, type AuditRecord, type RecordBody, type RecordDraft } from './record.ts';
import { keyIdOf, verifySignature, type Signer } from './signer.ts';
import type { AuditTrust, Witness } from './trust.ts';
import { createTreeReader, type TreeReader } from './tree.ts';

/** Minimum retention of the log, in months (网络安全法: network logs kept ≥ 6 months). */
export const MIN_RETENTION_MONTHS = 6;

/** Raised to every caller of a batch that could not be committed: the action must not go ahead. */
export class AuditWriteError extends AppError {
  constructor(cause: unknown) {
    super(503, 'audit_unavailable', {
      zh: '审计日志暂不可写，操作已拒绝',
      en: 'The audit log cannot be written; the operation was refused',
    });
    this.cause = cause;
  }
}

/** Refuses a retention shorter than the legal minimum. */
export function assertRetention(months: number): void {
  if (!Number.isFinite(months) || months < MIN_RETENTION_MONTHS) {
    throw new BadRequestError('audit_retention_too_short', {
      zh: `审计日志保存期限不得少于 ${MIN_RETENTION_MONTHS} 个月`,
      en: `Audit retention must be at least ${MIN_RETENTION_MONTHS} months`,
    });
  }
}

/** Raised to appenders when the log is shorter than, or differs from, what this host last saw committed. */
export class AuditIntegrityError extends AppError {
  constructor(en: string, zh: string) {
    super(503, 'audit_integrity', { zh, en });
  }
}

export interface AuditLogDeps {
  db: Db;
  /** Chain and tree hash: SHA-256, or SM3 under the 国密 suite. Fixed for the life of a log. */
  hash: HashAlg;
  /** Signs heads; absent in a verify-only log (`pdx audit verify`), which cannot append heads. */
  signer?: Signer;
  /** The only key verification trusts (the pinned one); default: the signer's. */
  trustedKeyPem?: string;
  /** The pin and this host's witness of the log, outside the database. */
  trust?: AuditTrust;
  /** The signing key lives in audit_signing_keys (not only in memory): verify checks its row is still there. */
  keyStored?: boolean;
  clock?: () => Date;
  /**
   * Sign a head every T seconds if the log grew (default 60; 0 disables). Heads at every multiple of
   * the database's head policy (1000 records) are made whatever this says: verification requires them.
   */
  checkpointEvery?: { seconds?: number };
  /** Largest batch in one transaction (default 1000). */
  maxBatch?: number;
  /** Months records are kept before they may be archived (default and minimum 6). */
  retentionMonths?: number;
  /** Background failures (periodic checkpoints); default: console.error. */
  onError?: (error: unknown) => void;
}

/** A signed tree head as published: hex hashes, base64 signature. */
export interface SignedHead {
  treeSize: number;
  rootHash: string;
  timestamp: string;
  hashAlg: HashAlg;
  keyId: string;
  signature: string;
}

export interface InclusionProof {
  seq: number;
  leafIndex: number;
  treeSize: number;
  recordHash: string;
  leafHash: string;
  auditPath: string[];
  head: SignedHead;
}

export interface ConsistencyProof {
  from: SignedHead;
  to: SignedHead;
  proof: string[];
}

export interface VerifyReport {
  ok: boolean;
  /** Records checked before the first break (all of them when ok). */
  checked: number;
  /** Signed heads checked. */
  checkpoints: number;
  /** The first sequence number found wrong (changed, missing, out of place). */
  firstBadSeq?: number;
  /** A signed head whose signature or metadata is wrong. */
  badCheckpoint?: number;
  /** The size of a signed head the head policy requires but the log lacks. */
  missingHead?: number;
  /** What is wrong, Chinese / English. */
  reason?: string;
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; absent on the last page. */
  nextCursor?: number;
}

export interface AccessEntry {
  seq: number;
  time: string;
  action: string;
  result: AuditRecord['result'];
  actorUserId: string | null;
  actorUsername: string | null;
  actorOrgId: string | null;
  actorApiKeyId: string | null;
  columns: { name: string; mode: string }[];
  rowCount: number | null;
  purpose: string | null;
  grantId: string | null;
  requestId: string | null;
  clientIp: string | null;
}

export interface AccessHistory {
  summary: AccessSummaryRow[];
  entries: AccessEntry[];
  nextCursor?: number;
}

export type ArchiveFile = ArchivedFile;
/** Row types of the usage statistics (duties) see. */
export type { UsageFilter, UsageRow } from './audit.repo.ts';
/** Counts over recent records that security operations' detectors read. */
export type { DetectorCounts } from './audit.repo.ts';
/** Row types of the interface call statistics (gateway) see. */
export type { CallStatsFilter, CallStatsRow } from './audit.repo.ts';

export interface AuditLog extends EventSink {
  /** Appends one event; resolves after its batch committed. */
  record(event: AuditEvent): Promise<void>;
  /** Like record, and returns the stored record's seq and hash. */
  append(event: AuditEvent): Promise<{ seq: number; hash: string }>;
  /** Signs a head over every committed record now (returns the existing head if nothing new). */
  checkpoint(): Promise<SignedHead | undefined>;
  latestHead(): Promise<SignedHead | undefined>;
  /**
   * Recomputes the chain and checks every signed head against the trusted key, the head policy, this
   * host's witness and the `heads` given (kept outside the database, e.g. downloaded witnesses).
   */
  verify(options?: { heads?: SignedHead[] }): Promise<VerifyReport>;
  /** Inclusion proof of record `seq` under the signed head of `treeSize` (default: latest, made on demand). */
  proof(seq: number, treeSize?: number): Promise<InclusionProof>;
  /** Consistency proof between two signed heads. */
  consistency(from: number, to: number): Promise<ConsistencyProof>;
  search(filter: RecordFilter, page?: { cursor?: number; limit?: number; order?: 'asc' | 'desc' }): Promise<Page<AuditRecord>>;
  get(seq: number): Promise<AuditRecord | undefined>;
  /**
   * The records after `afterSeq`, oldest first, read inside the caller's transaction: a consumer of
   * the log (security operations) reads and advances its own cursor atomically.
   */
  recordsAfter(q: Queryable, afterSeq: number, limit: number): Promise<AuditRecord[]>;
  /** Counts over recent records for security operations' detectors, inside the caller's transaction. */
  detectorCounts(q: Queryable): DetectorCounts;
  accessHistory(filter: AccessFilter, page?: { cursor?: number; limit?: number }): Promise<AccessHistory>;
  /** Data responses per dataset, China day and consumer organisation (usage statistics). */
  usage(filter: UsageFilter): Promise<UsageRow[]>;
  /** The overview's activity over the last `days` days: interface calls per China day, denials and failures per day and action. */
  dailyActivity(days: number): ReturnType<typeof dailyActivity>;
  /** Interface calls (`gateway.call`): calls, failures, latency p50/p95 by China day, service, operation and calling organisation. */
  callStats(filter: CallStatsFilter): Promise<CallStatsRow[]>;
  /** Streams a selection as CSV, or as JSON with an inclusion proof per record under one head. */
  exportRecords(filter: RecordFilter, format: 'csv' | 'json'): AsyncGenerator<string>;
  /** Writes records older than the retention period, with proofs, to NDJSON files; deletes nothing. */
  archive(dir: string, options?: { before?: Date; recordsPerFile?: number }): Promise<{ files: ArchiveFile[]; head?: SignedHead }>;
  publicKey(): { algorithm: 'Ed25519'; keyId: string; publicKeyPem: string; hashAlg: HashAlg };
  /** A head over every record now, with the public key: what an auditor keeps outside pdx. */
  witness(): Promise<{ format: 'pdx-audit-witness/v1'; head: SignedHead | null; publicKeyPem: string; keyId: string; hashAlg: HashAlg }>;
  /** Flushes queued events, stops the checkpoint timer and waits for its check in hand: the database may close after. */
  close(): Promise<void>;
}

/** The bytes a tree head signature covers (canonical JSON, UTF-8). */
export function treeHeadMessage(head: { treeSize: number; rootHash: string; timestamp: string; hashAlg: string }): Buffer {
  return Buffer.from(
    canonicalJson({
      type: 'pdx-audit-tree-head/v1',
      treeSize: head.treeSize,
      rootHash: head.rootHash,
      timestamp: head.timestamp,
      hashAlg: head.hashAlg,
    }),
    'utf8',
  );
}

function toHead(row: CheckpointRow): SignedHead {
  return {
    treeSize: row.treeSize,
    rootHash: row.rootHash.toString('hex'),
    timestamp: row.time.toISOString(),
    hashAlg: row.hashAlg as HashAlg,
    keyId: row.keyId,
    signature: row.signature.toString('base64'),
  };
}

const hex = (b: Buffer) => b.toString('hex');

interface Pending {
  draft: RecordDraft;
  resolve(value: { seq: number; hash: string }): void;
  reject(error: unknown): void;
}

export function createAuditLog(deps: AuditLogDeps): AuditLog {
  const { db, hash: alg, signer, trust } = deps;
  const trustedKeyPem = deps.trustedKeyPem ?? signer?.publicKeyPem;
  if (!trustedKeyPem) throw new Error('an audit log needs a signer or a trusted key');
  const clock = deps.clock ?? (() => new Date());
  const maxBatch = deps.maxBatch ?? 1000;
  const everySeconds = deps.checkpointEvery?.seconds ?? 60;
  const retentionMonths = deps.retentionMonths ?? MIN_RETENTION_MONTHS;
  assertRetention(retentionMonths);
  const onError = deps.onError ?? ((error: unknown) => console.error('[audit]', error));
  const keyId = keyIdOf(trustedKeyPem);
  let policy: Promise<HeadPolicy> | undefined;
  const policyOf = () => (policy ??= headPolicy(db).catch((error: unknown) => ((policy = undefined), Promise.reject(error))));
  // What this host last saw committed (from the witness file at start): the log may only grow past it.
  let seen: Witness | undefined = trust?.readWitness();
  const needSigner = (): Signer => {
    if (!signer) throw new Error('this audit log verifies only; it has no signing key');
    return signer;
  };
  // Roots of complete subtrees are immutable: one bounded memo serves every reader of this log.
  const subtreeMemo = new Map<string, Buffer>();
  const tree = (size: number) => createTreeReader(db, alg, size, subtreeMemo);

  // ---- group commit ----------------------------------------------------------------------------

  const queue: Pending[] = [];
  let flushing: Promise<void> | undefined;
  let closed = false;

  type Head = { seq: number; hash: Buffer; time: Date };
  // The head this process last committed or saw: the next batch chains to it without a transaction.
  let known: Head | undefined;

  /** The batch's records chained to `head`, with one time that never goes backwards along the chain. */
  function chain(head: Head | undefined, drafts: readonly RecordDraft[]) {
    let prev: Buffer = head?.hash ?? GENESIS_HASH;
    let seq = head?.seq ?? 0;
    // Time never goes backwards along the chain, even across processes with skewed clocks.
    const now = clock();
    const time = (head && head.time > now ? head.time : now).toISOString();
    return drafts.map((draft) => {
      const body: RecordBody = { ...draft, seq: ++seq, time };
      const hash = chainHash(alg, prev, body);
      const row = { body, prevHash: prev, hash };
      prev = hash;
      return row;
    });
  }

  /** The sizes in (from, to] at which a signed head is required: multiples of the policy past its start. */
  function requiredHeads(from: number, to: number, { everyRecords, requiredFrom }: HeadPolicy): number[] {
    const sizes: number[] = [];
    for (let m = Math.ceil((from + 1) / everyRecords) * everyRecords; m <= to; m += everyRecords) if (m > requiredFrom) sizes.push(m);
    return sizes;
  }

  const committedOf = (rows: ReturnType<typeof chain>) => rows.map((r) => ({ seq: r.body.seq, hash: r.hash }));
  const headOf = (rows: ReturnType<typeof chain>): Head => {
    const last = rows.at(-1)!;
    return { seq: last.body.seq, hash: last.hash, time: new Date(last.body.time) };
  };

  async function commitBatch(drafts: readonly RecordDraft[]): Promise<{ seq: number; hash: Buffer }[]> {
    const policy = await policyOf();
    // One round trip when the head is where this process left it (or where the first try found it)
    // and the batch completes no required signed head: the statement inserts only after that head.
    for (let attempt = 0; attempt < 2 && known && requiredHeads(known.seq, known.seq + drafts.length, policy).length === 0; attempt++) {
      const rows = chain(known, drafts);
      const outcome = await insertRecordsAfterHead(db, known, rows);
      if (outcome.inserted) {
        known = headOf(rows);
        return committedOf(rows);
      }
      known = outcome.head;
      if (known) checkAgainstWitness(known);
    }
    const rows = await db.transaction(async (tx) => {
      // The lock first, then the head with a snapshot taken after it: under READ COMMITTED that sees
      // the batch another process committed while we waited.
      const head = await lockChainHead(tx);
      checkAgainstWitness(head);
      const chained = chain(head, drafts);
      await insertRecords(tx, chained);
      // The head at a multiple of the policy is part of the commit that completes it: no crash or
      // failure can leave a required head missing, so a missing one means it was deleted.
      for (const m of requiredHeads(head?.seq ?? 0, chained.at(-1)!.body.seq, policy)) await signHead(tx, m, createTreeReader(tx, alg, m));
      return chained;
    });
    known = headOf(rows);
    return committedOf(rows);
  }

  /** Refuses to extend a log shorter than (or different from) what this host saw committed. */
  function checkAgainstWitness(head: { seq: number; hash: Buffer } | undefined): void {
    if (!seen) return;
    const size = head?.seq ?? 0;
    if (size < seen.seq || (size === seen.seq && head && hex(head.hash) !== seen.hash)) {
      throw new AuditIntegrityError(
        `the audit log holds ${size} records but this host saw record ${seen.seq} committed at ${seen.time}: the log was cut back or rewritten (run pdx audit verify)`,
        `审计日志只有 ${size} 条记录，而本机已见过第 ${seen.seq} 条记录于 ${seen.time} 提交：日志被截短或改写（请运行 pdx audit verify）`,
      );
    }
  }

  /** Signs and stores the head of `size` over `reader`; returns the stored one. */
  async function signHead(q: Queryable, size: number, reader: TreeReader): Promise<CheckpointRow> {
    const root = await reader.root(0, size);
    const head = { treeSize: size, rootHash: hex(root), timestamp: clock().toISOString(), hashAlg: alg };
    const signature = needSigner().sign(treeHeadMessage(head));
    await insertCheckpoint(q, { treeSize: size, rootHash: root, time: new Date(head.timestamp), hashAlg: alg, keyId, signature });
    // Another process may have stored a head of the same size first; publish the stored one.
    return (await checkpointOfSize(q, size))!;
  }

  /** Records what this host saw committed, outside the database. */
  function witnessed(seq: number, hash: string, head?: SignedHead): void {
    if (!trust) return;
    if (seen && seq < seen.seq) return;
    seen = { format: 'pdx-audit-witness/v1', seq, hash, time: clock().toISOString(), head: head ?? seen?.head ?? null };
    trust.writeWitness(seen);
  }

  async function flush(): Promise<void> {
    // Let every caller of this tick join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = queue.splice(0, maxBatch);
      let committed: { seq: number; hash: Buffer }[];
      try {
        committed = await commitBatch(batch.map((p) => p.draft));
      } catch (error) {
        const failure = new AuditWriteError(error);
        for (const p of batch) p.reject(failure);
        continue;
      }
      const last = committed.at(-1) as { seq: number; hash: Buffer };
      witnessed(last.seq, hex(last.hash));
      batch.forEach((p, i) => {
        const c = committed[i] as { seq: number; hash: Buffer };
        p.resolve({ seq: c.seq, hash: hex(c.hash) });
      });
    }
  }

  function kick(): void {
    if (flushing) return;
    flushing = flush().finally(() => {
      flushing = undefined;
      if (queue.length > 0) kick();
    });
  }

  function append(event: AuditEvent): Promise<{ seq: number; hash: string }> {
    if (closed) return Promise.reject(new AuditWriteError(new Error('audit log closed')));
    let draft: RecordDraft;
    try {
      draft = draftOf(event);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      queue.push({ draft, resolve, reject });
      kick();
    });
  }

  // ---- checkpoints -----------------------------------------------------------------------------

  let checkpointChain: Promise<unknown> = Promise.resolve();

  async function makeCheckpoint(): Promise<SignedHead | undefined> {
    const size = await maxSeq(db);
    if (size === 0) return undefined;
    const existing = await checkpointOfSize(db, size);
    if (existing) return toHead(existing);
    const reader = tree(size);
    // Never sign over a log that no longer extends the head this host witnessed: that is the
    // evidence verify needs, and signing would overwrite it.
    const held = seen?.head;
    if (held && (held.treeSize > size || !(await reader.root(0, held.treeSize)).equals(Buffer.from(held.rootHash, 'hex')))) {
      throw new AuditIntegrityError(
        `the audit log no longer extends the head of size ${held.treeSize} this host witnessed; no head signed (run pdx audit verify)`,
        `审计日志与本机见证的大小为 ${held.treeSize} 的签名树头不一致，拒绝签名（请运行 pdx audit verify）`,
      );
    }
    const head = toHead(await signHead(db, size, reader));
    const record = await recordBySeq(db, size);
    if (record) witnessed(size, record.hash, head);
    return head;
  }

  function checkpoint(): Promise<SignedHead | undefined> {
    const next = checkpointChain.then(makeCheckpoint, makeCheckpoint);
    checkpointChain = next.catch(() => undefined);
    return next;
  }

  let timer: NodeJS.Timeout | undefined;
  // The timer's check in hand: close() waits for it, so no query reaches a database closed after
  // close() ("Cannot use a pool after calling end"); one at a time, and none once closing.
  let ticking: Promise<void> | undefined;
  if (everySeconds > 0) {
    timer = setInterval(() => {
      if (ticking || closed) return;
      ticking = (async () => {
        const [size, latest] = await Promise.all([maxSeq(db), latestCheckpoint(db)]);
        if (!closed && size > (latest?.treeSize ?? 0)) await checkpoint();
      })()
        .catch(onError)
        .finally(() => {
          ticking = undefined;
        });
    }, everySeconds * 1000);
    timer.unref();
  }

  /** The latest head, or a fresh one when the latest does not cover `seq`. */
  async function headCovering(seq: number): Promise<CheckpointRow> {
    let latest = await latestCheckpoint(db);
    if (!latest || latest.treeSize < seq) {
      await checkpoint();
      latest = await latestCheckpoint(db);
    }
    if (!latest || latest.treeSize < seq) throw new NotFoundError({ zh: `审计记录 ${seq}`, en: `Audit record ${seq}` });
    return latest;
  }

  async function inclusion(tree: TreeReader, record: AuditRecord): Promise<{ leafIndex: number; leafHash: string; auditPath: string[] }> {
    const leafIndex = record.seq - 1;
    const path = await inclusionPath(leafIndex, tree.size, tree.root);
    return { leafIndex, leafHash: hex(leafHash(alg, Buffer.from(record.hash, 'hex'))), auditPath: path.map(hex) };
  }

  // ---- verification ----------------------------------------------------------------------------

  async function verify(options: { heads?: SignedHead[] } = {}): Promise<VerifyReport> {
    const PAGE = 1000;
    const { everyRecords, requiredFrom } = await policyOf();
    // Heads kept outside the database (given, and this host's witness): the log must extend each.
    const held = [...(options.heads ?? []), ...(seen?.head ? [seen.head] : [])].sort((a, b) => a.treeSize - b.treeSize);
    for (const h of held) {
      const message = treeHeadMessage({ treeSize: h.treeSize, rootHash: h.rootHash, timestamp: h.timestamp, hashAlg: h.hashAlg });
      if (h.hashAlg !== alg || !verifySignature(trustedKeyPem!, message, Buffer.from(h.signature, 'base64'))) {
        return {
          ok: false,
          checked: 0,
          checkpoints: 0,
          badCheckpoint: h.treeSize,
          reason: `所持检查点 ${h.treeSize} 的签名无效 / the head of size ${h.treeSize} you hold is not signed by the trusted key`,
        };
      }
    }
    const frontier = new MerkleFrontier(alg);
    let prev: Buffer = GENESIS_HASH;
    let expected = 1;
    let checked = 0;
    let checkpointsChecked = 0;
    let lastGoodHead = 0;

    let pending: CheckpointRow[] = await checkpointsAfter(db, 0, PAGE);
    async function nextCheckpoint(): Promise<CheckpointRow | undefined> {
      if (pending.length === 0) return undefined;
      const cp = pending[0] as CheckpointRow;
      return cp;
    }
    async function advanceCheckpoint(): Promise<void> {
      const done = pending.shift() as CheckpointRow;
      if (pending.length === 0) pending = await checkpointsAfter(db, done.treeSize, PAGE);
    }
    const fail = (report: Partial<VerifyReport> & { reason: string }): VerifyReport => ({
      ok: false,
      checked,
      checkpoints: checkpointsChecked,
      ...report,
    });

    function checkHead(cp: CheckpointRow): VerifyReport | undefined {
      if (cp.hashAlg !== alg) {
        return fail({
          badCheckpoint: cp.treeSize,
          reason: `检查点 ${cp.treeSize} 的哈希算法为 ${cp.hashAlg} / head ${cp.treeSize} uses hash ${cp.hashAlg}, expected ${alg}`,
        });
      }
      const message = treeHeadMessage({ treeSize: cp.treeSize, rootHash: hex(cp.rootHash), timestamp: cp.time.toISOString(), hashAlg: cp.hashAlg });
      if (cp.keyId !== keyId || !verifySignature(trustedKeyPem!, message, cp.signature)) {
        return fail({ badCheckpoint: cp.treeSize, reason: `检查点 ${cp.treeSize} 的签名无效 / head ${cp.treeSize} has an invalid signature` });
      }
      if (!frontier.root().equals(cp.rootHash)) {
        // The chain links hold, so records after the last good head were rewritten consistently.
        return fail({
          firstBadSeq: lastGoodHead + 1,
          badCheckpoint: cp.treeSize,
          reason: `检查点 ${cp.treeSize} 的根哈希与记录不符，记录 ${lastGoodHead + 1}–${cp.treeSize} 被改写 / head ${cp.treeSize} root does not match: records ${lastGoodHead + 1}–${cp.treeSize} were rewritten`,
        });
      }
      checkpointsChecked++;
      lastGoodHead = cp.treeSize;
      return undefined;
    }

    /** After record `size`: the head the policy requires there, and any held head of that size. */
    function checkRequired(size: number, headSeen: boolean): VerifyReport | undefined {
      if (size % everyRecords === 0 && size > requiredFrom && !headSeen) {
        return fail({
          firstBadSeq: lastGoodHead + 1,
          missingHead: size,
          reason: `缺少大小为 ${size} 的签名树头（每 ${everyRecords} 条记录必有一个），记录 ${lastGoodHead + 1} 起无签名保护 / the signed head of size ${size} is missing (one is made at every ${everyRecords} records): records from ${lastGoodHead + 1} on are not covered`,
        });
      }
      for (const h of held) {
        if (h.treeSize !== size) continue;
        if (!frontier.root().equals(Buffer.from(h.rootHash, 'hex'))) {
          return fail({
            firstBadSeq: lastGoodHead + 1,
            badCheckpoint: size,
            reason: `日志与所持检查点 ${size} 不符，记录 ${lastGoodHead + 1}–${size} 被改写 / the log differs from the head of size ${size} you hold: records ${lastGoodHead + 1}–${size} were rewritten`,
          });
        }
      }
      if (seen && seen.seq === size && hex(prev) !== seen.hash) {
        return fail({ firstBadSeq: lastGoodHead + 1, reason: `记录 ${size} 与本机见证的不同 / record ${size} differs from the one this host witnessed` });
      }
      return undefined;
    }

    for (let after = 0; ;) {
      const page = await recordsAfter(db, after, PAGE);
      if (page.length === 0) break;
      for (const record of page) {
        if (record.seq !== expected) {
          return fail({ firstBadSeq: expected, reason: `缺少记录 ${expected} / record ${expected} is missing` });
        }
        if (record.prevHash !== hex(prev)) {
          return fail({
            firstBadSeq: record.seq,
            reason: `记录 ${record.seq} 的前序哈希与记录 ${record.seq - 1} 不符 / record ${record.seq} does not link to record ${record.seq - 1}`,
          });
        }
        const h = chainHash(alg, prev, record);
        if (hex(h) !== record.hash) {
          return fail({ firstBadSeq: record.seq, reason: `记录 ${record.seq} 的内容与其哈希不符 / record ${record.seq} does not match its hash` });
        }
        prev = h;
        frontier.push(leafHash(alg, h));
        checked++;
        expected++;
        let headSeen = false;
        for (let cp = await nextCheckpoint(); cp && cp.treeSize <= frontier.size; cp = await nextCheckpoint()) {
          const bad = checkHead(cp);
          if (bad) return bad;
          headSeen ||= cp.treeSize === frontier.size;
          await advanceCheckpoint();
        }
        const missing = checkRequired(frontier.size, headSeen);
        if (missing) return missing;
      }
      after = (page.at(-1) as AuditRecord).seq;
    }
    const beyond = await nextCheckpoint();
    if (beyond) {
      return fail({
        firstBadSeq: expected,
        reason: `缺少记录 ${expected}（检查点 ${beyond.treeSize} 包含它）/ record ${expected} is missing (head ${beyond.treeSize} covers it)`,
      });
    }
    const longest = Math.max(seen?.seq ?? 0, held.at(-1)?.treeSize ?? 0);
    if (longest > checked) {
      return fail({
        firstBadSeq: expected,
        reason: `缺少记录 ${expected}–${longest}（本机见证或所持检查点包含它们）/ records ${expected}–${longest} are missing (this host's witness or a head you hold covers them)`,
      });
    }
    // The key in the database must still be the trusted one: a deleted or replaced row is tampering.
    const keys = deps.keyStored ? await signingKeys(db) : [];
    if (deps.keyStored && (!keys.some((k) => k.keyId === keyId) || keys.length > 1)) {
      return fail({
        reason:
          keys.length === 0
            ? `审计签名密钥记录已被删除（固定公钥 ${keyId.slice(0, 16)}…）/ the audit signing key row was deleted (pinned key ${keyId.slice(0, 16)}…)`
            : `数据库中的审计签名密钥不是固定的公钥 / the audit signing key in the database is not the pinned one`,
      });
    }
    return { ok: true, checked, checkpoints: checkpointsChecked };
  }

  // ---- export and archive ----------------------------------------------------------------------

  const CSV_COLUMNS: (keyof AuditRecord)[] = [
    'seq',
    'time',
    'action',
    'result',
    'actorUserId',
    'actorUsername',
    'actorOrgId',
    'actorApiKeyId',
    'actorRoles',
    'targetType',
    'targetId',
    'targetLabel',
    'dataset',
    'details',
    'requestId',
    'clientIp',
    'prevHash',
    'hash',
  ];

  function csvCell(value: unknown): string {
    if (value === null || value === undefined) return '';
    let text = typeof value === 'object' ? canonicalJson(value as Json) : String(value);
    // A spreadsheet must not run a cell as a formula; the JSON export is the verifiable form.
    if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
    return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
  }

  async function* selection(filter: RecordFilter, uptoSeq?: number): AsyncGenerator<AuditRecord[]> {
    let cursor: number | undefined;
    for (;;) {
      const page = await searchRecords(db, filter, { cursor, limit: 500, order: 'asc', uptoSeq });
      if (page.length === 0) return;
      yield page;
      cursor = (page.at(-1) as AuditRecord).seq;
    }
  }

  async function* exportRecords(filter: RecordFilter, format: 'csv' | 'json'): AsyncGenerator<string> {
    if (format === 'csv') {
      // BOM: spreadsheet programs on Chinese Windows read UTF-8 only with it.
      yield `\uFEFF${CSV_COLUMNS.join(',')}\r\n`;
      for await (const page of selection(filter)) yield page.map((r) => `${CSV_COLUMNS.map((c) => csvCell(r[c])).join(',')}\r\n`).join('');
      return;
    }
    const size = await maxSeq(db);
    const head = size > 0 ? await headCovering(size) : undefined;
    yield (
      `{"format":"pdx-audit-export/v1","hashAlg":${JSON.stringify(alg)},"publicKeyPem":${JSON.stringify(trustedKeyPem)},` +
      `"head":${head ? JSON.stringify(toHead(head)) : 'null'},"records":[`
    );
    if (head) {
      const reader = tree(head.treeSize);
      let first = true;
      for await (const page of selection(filter, head.treeSize)) {
        const parts: string[] = [];
        for (const record of page) {
          parts.push(`${first ? '' : ','}${JSON.stringify({ record, proof: await inclusion(reader, record) })}`);
          first = false;
        }
        yield parts.join('');
      }
    }
    yield ']}\n';
  }

  async function archive(dir: string, options: { before?: Date; recordsPerFile?: number } = {}) {
    const before = options.before ?? retentionCutoff(clock(), retentionMonths);
    const size = await maxSeq(db);
    const head = size > 0 ? await headCovering(size) : undefined;
    if (!head) return { files: [] };
    const reader = tree(head.treeSize);
    const files = await archiveRecords({
      dir,
      before,
      recordsPerFile: options.recordsPerFile ?? 100_000,
      header: { format: 'pdx-audit-archive/v1', hashAlg: alg, keyId, publicKeyPem: trustedKeyPem, head: toHead(head) },
      pages: (afterSeq) => selectionAfter(afterSeq, before, head.treeSize),
      proofOf: (record) => inclusion(reader, record),
    });
    return { files, head: toHead(head) };
  }

  async function* selectionAfter(afterSeq: number, before: Date, uptoSeq: number): AsyncGenerator<AuditRecord[]> {
    for (let after = afterSeq; ;) {
      const page = (await recordsAfter(db, after, 500, uptoSeq)).filter((r) => new Date(r.time) < before);
      if (page.length === 0) return;
      yield page;
      after = (page.at(-1) as AuditRecord).seq;
    }
  }

  // ---- the sink and the read side --------------------------------------------------------------

  return {
    async record(event) {
      await append(event);
    },
    append,
    checkpoint,
    async latestHead() {
      const row = await latestCheckpoint(db);
      return row && toHead(row);
    },
    verify,
    async proof(seq, treeSize) {
      let head: CheckpointRow | undefined;
      if (treeSize === undefined) head = await headCovering(seq);
      else {
        head = await checkpointOfSize(db, treeSize);
        if (!head) throw new NotFoundError({ zh: `大小为 ${treeSize} 的签名树头`, en: `Signed head of size ${treeSize}` });
        if (seq > treeSize) {
          throw new BadRequestError('audit_seq_beyond_head', {
            zh: `记录 ${seq} 不在大小为 ${treeSize} 的树中`,
            en: `Record ${seq} is not in the tree of size ${treeSize}`,
          });
        }
      }
      const record = await recordBySeq(db, seq);
      if (!record) throw new NotFoundError({ zh: `审计记录 ${seq}`, en: `Audit record ${seq}` });
      const proof = await inclusion(tree(head.treeSize), record);
      return { seq, treeSize: head.treeSize, recordHash: record.hash, ...proof, head: toHead(head) };
    },
    async consistency(from, to) {
      if (!(from > 0 && from <= to)) {
        throw new BadRequestError('audit_bad_range', { zh: '需要 0 < from ≤ to', en: 'Expected 0 < from ≤ to' });
      }
      const [a, b] = await Promise.all([checkpointOfSize(db, from), checkpointOfSize(db, to)]);
      if (!a) throw new NotFoundError({ zh: `大小为 ${from} 的签名树头`, en: `Signed head of size ${from}` });
      if (!b) throw new NotFoundError({ zh: `大小为 ${to} 的签名树头`, en: `Signed head of size ${to}` });
      const proof = await consistencyProof(from, to, tree(to).root);
      return { from: toHead(a), to: toHead(b), proof: proof.map(hex) };
    },
    async search(filter, page = {}) {
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
      const items = await searchRecords(db, filter, { cursor: page.cursor, limit, order: page.order ?? 'desc' });
      return { items, ...(items.length === limit ? { nextCursor: (items.at(-1) as AuditRecord).seq } : {}) };
    },
    get: (seq) => recordBySeq(db, seq),
    recordsAfter: (q, afterSeq, limit) => recordsAfter(q, afterSeq, limit),
    detectorCounts: (q) => detectorCounts(q),
    async accessHistory(filter, page = {}) {
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
      const [summary, records] = await Promise.all([accessSummary(db, filter), accessEntries(db, filter, { cursor: page.cursor, limit })]);
      const entries = records.map((r) => accessEntryOf(r, filter.column));
      return { summary, entries, ...(records.length === limit ? { nextCursor: (records.at(-1) as AuditRecord).seq } : {}) };
    },
    usage: (filter) => usageRows(db, filter),
    dailyActivity: (days) => dailyActivity(db, days),
    callStats: (filter) => callStatsRows(db, filter),
    exportRecords,
    archive,
    publicKey: () => ({ algorithm: 'Ed25519', keyId, publicKeyPem: trustedKeyPem, hashAlg: alg }),
    async witness() {
      const head = await checkpoint();
      return { format: 'pdx-audit-witness/v1', head: head ?? null, publicKeyPem: trustedKeyPem, keyId, hashAlg: alg };
    },
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      while (flushing) await flushing;
      await ticking;
      await checkpointChain;
      await trust?.flush();
    },
  };
}

/** The instant `months` calendar months before `now` (records older than it may be archived). */
export function retentionCutoff(now: Date, months: number): Date {
  const cutoff = new Date(now);
  cutoff.setUTCMonth(cutoff.getUTCMonth() - months);
  return cutoff;
}

function accessEntryOf(record: AuditRecord, column: string | undefined): AccessEntry {
  const d = record.details;
  const columns = (Array.isArray(d.columns) ? d.columns : [])
    .filter((c): c is { name: string; mode: string } => typeof c === 'object' && c !== null && !Array.isArray(c) && typeof c.name === 'string')
    .map((c) => ({ name: c.name, mode: typeof c.mode === 'string' ? c.mode : '' }))
    .filter((c) => column === undefined || c.name === column);
  const str = (v: Json | undefined) => (typeof v === 'string' ? v : null);
  return {
    seq: record.seq,
    time: record.time,
    action: record.action,
    result: record.result,
    actorUserId: record.actorUserId,
    actorUsername: record.actorUsername,
    actorOrgId: record.actorOrgId,
    actorApiKeyId: record.actorApiKeyId,
    columns,
    rowCount: typeof d.rowCount === 'number' ? d.rowCount : null,
    purpose: str(d.purpose),
    grantId: str(d.grantId),
    requestId: record.requestId,
    clientIp: record.clientIp,
  };
}
