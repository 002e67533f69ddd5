/**
 * `pdx keys …`: key status, data key rotation and master key rotation (standards.md §5). The CLI
 * owner wires it with `registerKeysCommands(program, { open })`, where `open` loads the config,
 * opens the database and the keyring (the same steps as `pdx start`, including the master key check).
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import type { Db } from '../../db/index.ts';
import {
  generateMasterKey,
  listKeyVersions,
  loadMasterKey,
  newDataKeyVersion,
  PLATFORM_SCOPE,
  rotateMaster,
  type Keyring,
  type LoadedMasterKey,
} from './keyring.ts';

export interface KeysCliContext {
  db: Db;
  /** Opened (and so verified) with the current master key. */
  keyring: Keyring;
  /** Where the current master key came from, to tell the operator what to change after rotate-master. */
  masterKey?: Pick<LoadedMasterKey, 'source' | 'path'>;
  /** Catalogue lookup: dataset code → dataset id (undefined when unknown). Without it --dataset takes an id. */
  resolveDataset?(code: string): Promise<string | undefined>;
  /** Starts the background job that re-encrypts the dataset to `version`; returns a job id to show. */
  scheduleReencryption?(datasetId: string, version: number): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface KeysCliDeps {
  open(): Promise<KeysCliContext>;
  /** Where normal output goes (stdout by default). */
  write?(text: string): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function withContext(deps: KeysCliDeps, fn: (ctx: KeysCliContext) => Promise<void>): Promise<void> {
  const ctx = await deps.open();
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
  }
}

async function resolveDatasetId(ctx: KeysCliContext, code: string): Promise<string> {
  if (ctx.resolveDataset) {
    const id = await ctx.resolveDataset(code);
    if (id) return id;
    if (!UUID.test(code)) throw new Error(`数据集 ${code} 不存在 / dataset ${code} not found`);
  }
  if (!UUID.test(code)) throw new Error(`需要数据集 ID(uuid)/ expected a dataset id (uuid), got ${JSON.stringify(code)}`);
  return code.toLowerCase();
}

/** Writes a new master key file (mode 0600), refusing to overwrite anything. */
function writeNewKeyFile(file: string): Buffer {
  const key = randomBytes(32);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  fs.chmodSync(file, 0o600);
  return key;
}

/** Adds the `keys` command group to the pdx program. */
export function registerKeysCommands(program: Command, deps: KeysCliDeps): Command {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const keys = program.command('keys').description('encryption keys: status and rotation / 密钥管理');

  keys
    .command('status')
    .description('list data key versions per dataset (no key material) / 查看数据密钥版本')
    .action(() =>
      withContext(deps, async (ctx) => {
        write(`master key / 主密钥: ok (${ctx.masterKey?.source ?? 'configured'}); suite for new keys / 新密钥算法: ${ctx.keyring.suite}\n`);
        for (const k of await listKeyVersions(ctx.db)) {
          const scope = k.dataset_id === PLATFORM_SCOPE ? 'platform' : k.dataset_id;
          write(`${scope}\tv${k.version}\t${k.suite}\t${k.state}\t${k.created_at.toISOString()}\n`);
        }
      }),
    );

  keys
    .command('rotate')
    .description('create a new data key version for a dataset and re-encrypt it in the background / 轮换数据集密钥')
    .requiredOption('--dataset <code>', 'dataset code (or id)')
    .action((options: { dataset: string }) =>
      withContext(deps, async (ctx) => {
        const datasetId = await resolveDatasetId(ctx, options.dataset);
        const version = await newDataKeyVersion(ctx.db, ctx.keyring, datasetId);
        write(`dataset ${options.dataset}: data key version ${version} (${ctx.keyring.suite}) is now active / 新密钥版本已启用\n`);
        if (ctx.scheduleReencryption) {
          const job = await ctx.scheduleReencryption(datasetId, version);
          write(`re-encryption job started / 已启动重加密任务${job ? `: ${job}` : ''}; the dataset stays readable meanwhile\n`);
        } else {
          write('no re-encryption job is available: existing values stay under their old version until re-encrypted\n');
        }
      }),
    );

  keys
    .command('rotate-master')
    .description('re-wrap every data key under a new master key / 轮换主密钥')
    .option('--new-key-file <path>', 'file holding the new master key (base64 of 32 bytes)')
    .option('--generate <path>', 'generate the new master key into this file (mode 0600; must not exist)')
    .action((options: { newKeyFile?: string; generate?: string }) =>
      withContext(deps, async (ctx) => {
        if (Boolean(options.newKeyFile) === Boolean(options.generate)) {
          throw new Error('give exactly one of --new-key-file and --generate / 请指定 --new-key-file 或 --generate 之一');
        }
        let file: string;
        let newKey: Buffer;
        if (options.generate) {
          file = path.resolve(options.generate);
          newKey = writeNewKeyFile(file);
        } else {
          file = path.resolve(options.newKeyFile as string);
          newKey = loadMasterKey({ masterKeyFile: file, dataDir: '.', embedded: false }).key;
        }
        const { rewrapped } = await rotateMaster(ctx.db, ctx.keyring, newKey);
        write(`re-wrapped ${rewrapped} data keys under the new master key / 已用新主密钥重新封装 ${rewrapped} 个数据密钥\n`);
        const dataDirKey = ctx.masterKey?.source === 'data-dir' || ctx.masterKey?.source === 'generated';
        write(
          dataDirKey && ctx.masterKey?.path
            ? `Now replace ${ctx.masterKey.path} with ${file} (or set PDX_MASTER_KEY_FILE=${file}) before the next start; the old key no longer opens this database.\n` +
                `请在下次启动前用 ${file} 替换 ${ctx.masterKey.path}（或设置 PDX_MASTER_KEY_FILE=${file}）；旧主密钥已不能打开此数据库。\n`
            : `Now set PDX_MASTER_KEY_FILE=${file} (or PDX_MASTER_KEY to its content) for every pdx process, and back the file up; the old key no longer opens this database.\n` +
                `请为所有 pdx 进程设置 PDX_MASTER_KEY_FILE=${file}（或将其内容设为 PDX_MASTER_KEY）并备份该文件；旧主密钥已不能打开此数据库。\n`,
        );
      }),
    );

  keys
    .command('generate-master')
    .description('print a new random master key (base64) for PDX_MASTER_KEY / 生成主密钥')
    .action(() => {
      write(`${generateMasterKey()}\n`);
    });

  return keys;
}
