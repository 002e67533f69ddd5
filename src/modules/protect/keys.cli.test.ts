import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { afterAll, expect, it } from 'vitest';
import { describeEachBackend } from '../../../test/helpers/db.ts';
import { MasterKeyMismatchError } from './errors.ts';
import { listKeyVersions, loadMasterKey, openKeyring, type Keyring } from './keyring.ts';
import { registerKeysCommands, type KeysCliContext } from './keys.cli.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pdx-keys-cli-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describeEachBackend('pdx keys', ({ use }) => {
  let master: Buffer = randomBytes(32);
  const datasetId = randomUUID();

  async function run(args: string[], extra: Partial<KeysCliContext> = {}): Promise<{ output: string; keyring: Keyring }> {
    const { db } = use();
    const keyring = await openKeyring(db, { masterKey: master, suite: 'gm' });
    let output = '';
    const program = new Command('pdx').exitOverride();
    registerKeysCommands(program, {
      open: async () => ({ db, keyring, masterKey: { source: 'env' }, close: async () => {}, ...extra }),
      write: (text) => {
        output += text;
      },
    });
    await program.parseAsync(['node', 'pdx', 'keys', ...args]);
    return { output, keyring };
  }

  it('rotates a dataset key by catalogue code and starts the re-encryption job', async () => {
    const { keyring } = await run(['status']);
    await keyring.fieldCipher(datasetId);
    const jobs: [string, number][] = [];
    const { output } = await run(['rotate', '--dataset', 'HJ-0001'], {
      resolveDataset: async (code) => (code === 'HJ-0001' ? datasetId : undefined),
      scheduleReencryption: async (id, version) => {
        jobs.push([id, version]);
        return 'job-1';
      },
    });
    expect(jobs).toEqual([[datasetId, 2]]);
    expect(output).toContain('version 2');
    expect(output).toContain('job-1');
    await expect(run(['rotate', '--dataset', 'NOPE'], { resolveDataset: async () => undefined })).rejects.toThrow(/not found/);
    const status = await run(['status']);
    expect(status.output).toContain(`${datasetId}\tv1\tgm\tretired`);
    expect(status.output).toContain(`${datasetId}\tv2\tgm\tactive`);
    expect(status.output).not.toMatch(/wrapped/);
  });

  it('rotates the master key into a generated 0600 file that then opens the database', async () => {
    const { db } = use();
    const file = path.join(dir, `${randomUUID()}.key`);
    const { output } = await run(['rotate-master', '--generate', file]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(output).toContain(`PDX_MASTER_KEY_FILE=${file}`);
    await expect(openKeyring(db, { masterKey: master, suite: 'gm' })).rejects.toThrow(MasterKeyMismatchError);
    master = loadMasterKey({ masterKeyFile: file, dataDir: dir, embedded: false }).key;
    const reopened = await openKeyring(db, { masterKey: master, suite: 'gm' });
    expect((await reopened.fieldCipher(datasetId)).version).toBe(2);
    expect((await listKeyVersions(db)).length).toBeGreaterThanOrEqual(3);
    // An existing file is never overwritten, and exactly one source of the new key is required.
    await expect(run(['rotate-master', '--generate', file])).rejects.toThrow();
    await expect(run(['rotate-master'])).rejects.toThrow(/exactly one/);
  });
});
