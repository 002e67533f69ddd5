import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditTrust, type Witness } from './trust.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const witness = (seq: number): Witness => ({ format: 'pdx-audit-witness/v1', seq, hash: 'ab'.repeat(32), time: new Date(0).toISOString(), head: null });

describe('audit witness file', () => {
  it('is written under a data directory made on first use, and again after the directory was removed', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-trust-'));
    dirs.push(root);
    const dataDir = path.join(root, 'data', 'nested');
    const trust = createAuditTrust({ pinDir: root, dataDir });
    trust.writeWitness(witness(1));
    await trust.flush();
    expect(trust.readWitness()?.seq).toBe(1);
    trust.writeWitness(witness(2));
    await trust.flush();
    expect(trust.readWitness()?.seq).toBe(2);
    // The directory the process made is gone (an operator cleaned it): the next witness makes it again.
    fs.rmSync(path.join(root, 'data'), { recursive: true });
    trust.writeWitness(witness(3));
    await trust.flush();
    expect(trust.readWitness()?.seq).toBe(3);
  });
});
