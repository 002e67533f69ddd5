/**
 * Subtree roots of the Merkle tree over the stored log, computed on demand from the database.
 *
 * Cost model (documented in docs/audit-proofs.md): leaves are read in aligned blocks of 256 record
 * hashes; roots of complete aligned subtrees of ≥ 256 leaves are stored in audit_tree_nodes the
 * first time they are computed and never change. An inclusion or consistency proof therefore costs
 * O(log n) node lookups plus at most two block reads once the node cache is warm; the first head
 * over n records reads every record hash once (32 bytes each) and stores about n/256 nodes.
 * Memory stays bounded: a block memo per reader and a node memo of fixed size per log.
 */
import type { Queryable } from '../../db/index.ts';
import { insertTreeNode, recordHashes, treeNode } from './audit.repo.ts';
import type { HashAlg } from './canonical.ts';
import { leafHash, nodeHash, rootOfLeaves, splitPoint } from './merkle.ts';

const BLOCK_LEVEL = 8;
const BLOCK = 2 ** BLOCK_LEVEL;
const MAX_MEMO_BLOCKS = 64;
const MAX_MEMO_NODES = 100_000;

/** Thrown when the stored log has a hole where a tree needs a record. */
export class LogGapError extends Error {
  constructor(readonly seq: number) {
    super(`audit log is missing record ${seq}`);
  }
}

export interface TreeReader {
  /** Tree size this reader serves; no leaf at or beyond it is read. */
  readonly size: number;
  /** MTH of leaves [start, end), 0 ≤ start < end ≤ size. */
  root(start: number, end: number): Promise<Buffer>;
  /** Hash of leaf i. */
  leaf(i: number): Promise<Buffer>;
}

function isPowerOfTwo(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

/**
 * A reader over the first `size` records. Create one per operation (proof, export, checkpoint);
 * `nodes` may be shared between readers of one log, since complete subtree roots never change.
 */
export function createTreeReader(db: Queryable, alg: HashAlg, size: number, nodes = new Map<string, Buffer>()): TreeReader {
  const blocks = new Map<number, Buffer[]>();

  async function block(b: number): Promise<Buffer[]> {
    const memo = blocks.get(b);
    if (memo) return memo;
    const first = b * BLOCK;
    const last = Math.min(first + BLOCK, size); // exclusive
    const rows = await recordHashes(db, first + 1, last);
    rows.forEach((row, i) => {
      if (row.seq !== first + 1 + i) throw new LogGapError(first + 1 + i);
    });
    if (rows.length !== last - first) throw new LogGapError(first + 1 + rows.length);
    const leaves = rows.map((row) => leafHash(alg, row.hash));
    if (blocks.size >= MAX_MEMO_BLOCKS) blocks.delete(blocks.keys().next().value as number);
    blocks.set(b, leaves);
    return leaves;
  }

  async function perfect(level: number, idx: number): Promise<Buffer> {
    const key = `${level}:${idx}`;
    const memo = nodes.get(key);
    if (memo) return memo;
    let hash = await treeNode(db, level, idx);
    if (!hash) {
      hash =
        level === BLOCK_LEVEL ? rootOfLeaves(alg, await block(idx)) : nodeHash(alg, await perfect(level - 1, idx * 2), await perfect(level - 1, idx * 2 + 1));
      await insertTreeNode(db, level, idx, hash);
    }
    if (nodes.size >= MAX_MEMO_NODES) nodes.clear();
    nodes.set(key, hash);
    return hash;
  }

  async function root(start: number, end: number): Promise<Buffer> {
    if (!(start >= 0 && start < end && end <= size)) throw new RangeError(`no subtree [${start}, ${end}) in a tree of size ${size}`);
    const width = end - start;
    if (width >= BLOCK && isPowerOfTwo(width) && start % width === 0) return perfect(Math.log2(width), start / width);
    const b = Math.floor(start / BLOCK);
    if (b === Math.floor((end - 1) / BLOCK)) return rootOfLeaves(alg, await block(b), start - b * BLOCK, end - b * BLOCK);
    const k = splitPoint(width);
    return nodeHash(alg, await root(start, start + k), await root(start + k, end));
  }

  return {
    size,
    root,
    async leaf(i) {
      if (!(i >= 0 && i < size)) throw new RangeError(`no leaf ${i} in a tree of size ${size}`);
      const b = Math.floor(i / BLOCK);
      return (await block(b))[i - b * BLOCK] as Buffer;
    },
  };
}
