import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashOf } from './canonical.ts';
import { consistencyProof, inclusionPath, leafHash, MerkleFrontier, rootOfLeaves, verifyConsistency, verifyInclusion, type SubtreeRoot } from './merkle.ts';

// RFC 6962 reference vectors (certificate-transparency test data): leaf inputs and tree heads.
const INPUTS = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const leavesOf = (n: number, alg: 'sha256' | 'sm3' = 'sha256') => Array.from({ length: n }, (_, i) => leafHash(alg, hashOf(alg, `record ${i}`)));
const memoryRoot =
  (leaves: Buffer[], alg: 'sha256' | 'sm3' = 'sha256'): SubtreeRoot =>
  async (start, end) =>
    rootOfLeaves(alg, leaves, start, end);

describe('RFC 6962 Merkle tree', () => {
  it('reproduces the reference tree heads', () => {
    const leaves = INPUTS.map((h) => leafHash('sha256', Buffer.from(h, 'hex')));
    ROOTS.forEach((root, i) => expect(rootOfLeaves('sha256', leaves.slice(0, i + 1)).toString('hex')).toBe(root));
    expect(rootOfLeaves('sha256', []).toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('computes the same root incrementally with O(log n) state', () => {
    for (const alg of ['sha256', 'sm3'] as const) {
      const leaves = leavesOf(300, alg);
      const frontier = new MerkleFrontier(alg);
      leaves.forEach((leaf, i) => {
        frontier.push(leaf);
        expect(frontier.root().equals(rootOfLeaves(alg, leaves, 0, i + 1))).toBe(true);
      });
    }
  });

  it('produces inclusion proofs that verify, and only for the right leaf, index and root', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.nat(), async (n, pick) => {
        const leaves = leavesOf(n);
        const m = pick % n;
        const root = rootOfLeaves('sha256', leaves);
        const path = await inclusionPath(m, n, memoryRoot(leaves));
        expect(verifyInclusion('sha256', leaves[m] as Buffer, m, n, path, root)).toBe(true);
        if (n > 1) {
          const other = (m + 1) % n;
          expect(verifyInclusion('sha256', leaves[other] as Buffer, m, n, path, root)).toBe(false);
          expect(verifyInclusion('sha256', leaves[m] as Buffer, other, n, path, root)).toBe(false);
          const bent = path.map((p) => Buffer.from(p));
          const b0 = bent[0] as Buffer;
          b0.writeUInt8(b0.readUInt8(0) ^ 1, 0);
          expect(verifyInclusion('sha256', leaves[m] as Buffer, m, n, bent, root)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('produces consistency proofs that verify, and fail against another history', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), fc.nat(), async (n, pick) => {
        const leaves = leavesOf(n);
        const m = (pick % n) + 1;
        const proof = await consistencyProof(m, n, memoryRoot(leaves));
        const root1 = rootOfLeaves('sha256', leaves, 0, m);
        const root2 = rootOfLeaves('sha256', leaves);
        expect(verifyConsistency('sha256', m, n, proof, root1, root2)).toBe(true);
        // A history where an early record was rewritten is not consistent with the old head.
        const forged = [...leaves];
        forged[0] = leafHash('sha256', hashOf('sha256', 'forged'));
        const forgedRoot2 = rootOfLeaves('sha256', forged);
        const forgedProof = await consistencyProof(m, n, memoryRoot(forged));
        expect(verifyConsistency('sha256', m, n, forgedProof, root1, forgedRoot2)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
