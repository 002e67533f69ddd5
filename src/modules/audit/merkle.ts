/**
 * RFC 6962 §2.1 Merkle trees over the audit log: leaf i (0-based) is record seq i+1.
 *   leaf hash  = H(0x00 || record hash)
 *   node hash  = H(0x01 || left || right)
 *   MTH(D[n])  = node(MTH(D[0:k]), MTH(D[k:n])) with k the largest power of two smaller than n.
 * Proof generation is written against an async `root(start, end)` so the database-backed tree and the
 * in-memory reference share the exact same algorithm. Verification follows RFC 9162 §2.1.3.2 and
 * §2.1.4.2 (the iterative forms of RFC 6962's checks).
 */
import { hashOf, type HashAlg } from './canonical.ts';

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

export function leafHash(alg: HashAlg, recordHash: Buffer): Buffer {
  return hashOf(alg, LEAF, recordHash);
}

export function nodeHash(alg: HashAlg, left: Buffer, right: Buffer): Buffer {
  return hashOf(alg, NODE, left, right);
}

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Root of the subtree over leaves [start, end). */
export type SubtreeRoot = (start: number, end: number) => Promise<Buffer>;

/** RFC 6962 PATH(m, D[n]): the audit path of leaf m in the tree of the first n leaves. */
export async function inclusionPath(m: number, n: number, root: SubtreeRoot): Promise<Buffer[]> {
  if (!(m >= 0 && m < n)) throw new RangeError(`leaf ${m} is not in a tree of size ${n}`);
  const path: Buffer[] = [];
  let start = 0;
  let end = n;
  // Walk down from the root; siblings are collected top-down and returned bottom-up.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m - start < k) {
      path.push(await root(start + k, end));
      end = start + k;
    } else {
      path.push(await root(start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/** RFC 6962 PROOF(m, D[n]): the consistency proof between trees of sizes m and n (0 < m ≤ n). */
export async function consistencyProof(m: number, n: number, root: SubtreeRoot): Promise<Buffer[]> {
  if (!(m > 0 && m <= n)) throw new RangeError(`no consistency proof from size ${m} to ${n}`);
  const proof: Buffer[] = [];
  let start = 0;
  let end = n;
  let size = m;
  let complete = true;
  // SUBPROOF(m, D[start:end], b), iteratively; like PATH, nodes are found top-down.
  for (;;) {
    if (size === end - start) {
      if (!complete) proof.push(await root(start, end));
      break;
    }
    const k = splitPoint(end - start);
    if (size <= k) {
      proof.push(await root(start + k, end));
      end = start + k;
    } else {
      proof.push(await root(start, start + k));
      start += k;
      size -= k;
      complete = false;
    }
  }
  return proof.reverse();
}

/** MTH over leaf hashes held in memory (reference implementation and small subtrees). */
export function rootOfLeaves(alg: HashAlg, leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  if (end - start === 0) return hashOf(alg);
  if (end - start === 1) return leaves[start] as Buffer;
  const k = splitPoint(end - start);
  return nodeHash(alg, rootOfLeaves(alg, leaves, start, start + k), rootOfLeaves(alg, leaves, start + k, end));
}

/**
 * Incremental MTH with O(log n) memory: push leaves in order, read the root of everything pushed so
 * far at any time. Used by verification to recompute checkpoint roots while streaming the log.
 */
export class MerkleFrontier {
  /** Roots of the perfect subtrees that make up the tree, largest first, with their sizes. */
  private readonly stack: { size: number; hash: Buffer }[] = [];
  size = 0;

  constructor(private readonly alg: HashAlg) {}

  push(leaf: Buffer): void {
    let node = { size: 1, hash: leaf };
    for (let top = this.stack.at(-1); top && top.size === node.size; top = this.stack.at(-1)) {
      this.stack.pop();
      node = { size: top.size * 2, hash: nodeHash(this.alg, top.hash, node.hash) };
    }
    this.stack.push(node);
    this.size++;
  }

  /** MTH of the leaves pushed so far: the perfect subtrees folded from the right. */
  root(): Buffer {
    if (this.stack.length === 0) return hashOf(this.alg);
    let acc = (this.stack.at(-1) as { hash: Buffer }).hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = nodeHash(this.alg, (this.stack[i] as { hash: Buffer }).hash, acc);
    return acc;
  }
}

/** RFC 9162 §2.1.3.2: does `path` prove leaf `index` with hash `leaf` in the tree of `size` with `root`? */
export function verifyInclusion(alg: HashAlg, leaf: Buffer, index: number, size: number, path: readonly Buffer[], root: Buffer): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(alg, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(alg, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 §2.1.4.2: does `proof` show the tree (size1, root1) is a prefix of (size2, root2)? */
export function verifyConsistency(alg: HashAlg, size1: number, size2: number, proof: readonly Buffer[], root1: Buffer, root2: Buffer): boolean {
  if (!(size1 > 0 && size1 <= size2)) return false;
  if (size1 === size2) return proof.length === 0 && root1.equals(root2);
  if (proof.length === 0) return false;
  const path = [...proof];
  // When size1 is a power of two the first tree is itself a node of the second: start from root1.
  if ((size1 & (size1 - 1)) === 0) path.unshift(root1);
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  const first = path.shift();
  if (!first) return false;
  let fr = first;
  let sr = first;
  for (const c of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(alg, c, fr);
      sr = nodeHash(alg, c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(alg, sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return fr.equals(root1) && sr.equals(root2) && sn === 0;
}
