import { Writable } from 'node:stream';
import { Command } from 'commander';
import { AppError } from '../errors.ts';
import { ConfigError, describeConfig, loadConfig, type Config } from '../config.ts';
import { migrate, openDatabase, type Db } from '../db/index.ts';
import { ROLES, type Role } from '../http/access.ts';
import { auditTrustOf, createPlatform, startServer, type Platform } from '../main.ts';
import { openAuditForVerify } from '../modules/audit/audit.module.ts';
import { registerAuditCommands } from '../modules/audit/audit.cli.ts';
import { registerScanCommand } from '../modules/classify/scan.cli.ts';
import { registerExchangeCommands } from '../modules/exchange/exchange.cli.ts';
import { registerKeysCommands } from '../modules/protect/keys.cli.ts';
import { printDemoAccounts, printFirstCredentials, progressLine } from './output.ts';
import { bootstrapIdentity } from '../modules/identity/bootstrap.ts';
import { loadDemoTelemetry } from '../modules/demo/world-telemetry.ts';
import { loadDemoWorld } from '../modules/demo/world.ts';
import { registerBurstCommand } from '../modules/demo/burst.cli.ts';
import { VERSION } from '../version.ts';
import { DEFAULT_PASSWORD_COST } from '../modules/identity/passwords.ts';

/** Loads the configuration or exits with the message naming each bad variable. */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const program = new Command('pdx').description('pdx — Public Data Exchange (公共数据共享交换平台)').version(VERSION).showHelpAfterError();

program
  .command('start')
  .description('migrate the database and serve the API and console / 启动服务')
  .action(async () => {
    const config = configOrExit();
    const server = await startServer(config, { log: (line) => process.stdout.write(`${line}\n`) });
    const backend = server.db.backend === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL server';
    const mqtt = server.platform.services.telemetry.brokerPort();
    const mqttLine = mqtt ? `  MQTT telemetry / 工业数据接入: ${config.PDX_TLS_CERT ? 'mqtts' : 'mqtt'}://${new URL(server.url).hostname}:${mqtt}\n` : '';
    // One write, so that whoever reads the pipe sees the address and the notices together.
    const banner = [`\npdx ${VERSION} is running on ${backend}\n  console / 控制台: ${server.url}/\n  API docs / 接口文档: ${server.url}/docs\n${mqttLine}\n`];
    if (server.platform.masterKeyWarning) banner.push(`WARNING / 警告: ${server.platform.masterKeyWarning}\n\n`);
    if (server.platform.auditNotice) banner.push(`AUDIT / 审计: ${server.platform.auditNotice}\n\n`);
    if (config.PDX_PASSWORD_COST < DEFAULT_PASSWORD_COST) {
      banner.push(
        `WARNING / 警告: PDX_PASSWORD_COST=${config.PDX_PASSWORD_COST} is below ${DEFAULT_PASSWORD_COST}: new password hashes are weak (for test runs only) / 密码哈希强度低于默认值，仅用于测试\n\n`,
      );
    }
    process.stdout.write(banner.join(''));
    if (server.firstCredentials) printFirstCredentials(server.firstCredentials);
    if (server.demoAccounts) printDemoAccounts(server.demoAccounts);
    if (server.demoIdp) {
      const people = server.demoIdp.people.map((p) => `    ${p.sub.padEnd(10)} ${p.name}(${p.org} · ${p.role})`).join('\n');
      process.stdout.write(
        `DEMO identity provider / 演示身份认证(非正式身份认证平台): ${server.demoIdp.issuer}\n  统一身份认证登录 on the sign-in page; demo people (no password) / 演示用户:\n${people || '    (none: no organisation with a 统一社会信用代码 yet)'}\n\n`,
      );
    }
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      // The bound of the shutdown: whatever still holds the process after the grace period and 5 s more.
      setTimeout(
        () => {
          process.stderr.write('pdx: shutdown did not finish in time; exiting / 停止超时,强制退出\n');
          process.exit(1);
        },
        (config.PDX_SHUTDOWN_GRACE_SECONDS + 5) * 1000,
      ).unref();
      const { clean } = await server.close();
      if (!clean) process.stderr.write('pdx: stopped after the grace period; cut connections or a job were left / 宽限期结束后停止\n');
      process.exit(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

program
  .command('migrate')
  .description('apply pending database migrations / 执行数据库迁移')
  .action(async () => {
    const db = await openDatabase(configOrExit());
    try {
      const applied = await migrate(db);
      process.stdout.write(applied.length ? `applied migrations: ${applied.join(', ')}\n` : 'database is up to date\n');
    } finally {
      await db.close();
    }
  });

/** Runs a CLI action on the configured database with the same services (and audit log) the server uses. */
async function withServices<T>(fn: (services: Platform['services'], db: Db) => Promise<T>): Promise<T> {
  const config = configOrExit();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const { services } = await createPlatform(config, db);
    try {
      return await fn(services, db);
    } finally {
      await services.audit.close();
    }
  } finally {
    await db.close();
  }
}

/**
 * Runs one queued job in this process with a progress line (a server's worker may take it first;
 * another load of the same dataset may hold the dataset, and then the job waits its turn).
 */
async function followJob(jobs: Platform['services']['jobs'], jobId: string) {
  const timer = setInterval(() => {
    void jobs.get(jobId).then((job) => job && process.stderr.write(progressLine(job.progress)));
  }, 300);
  let job = await jobs.get(jobId);
  while (job && (job.state === 'queued' || job.state === 'running')) {
    if (!(await jobs.runJob(jobId))) await new Promise((resolve) => setTimeout(resolve, 1000));
    job = await jobs.get(jobId);
  }
  clearInterval(timer);
  if (job?.state === 'succeeded') process.stderr.write(`${progressLine({ ...job.progress, bytes: job.progress.totalBytes ?? job.progress.bytes })}\n`);
  return job;
}

/**
 * The command line runs with host access (the database and the master key are at hand): changes to
 * secadmin and auditor accounts apply at once here, and are recorded and alerted as such.
 */
const CLI_CALLER = { requestId: 'cli', hostAccess: true };

function parseRoles(text: string): Role[] {
  const roles = text
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const bad = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (bad.length || roles.length === 0) throw new Error(`unknown role(s) ${bad.join(', ')}; roles: ${ROLES.join(', ')}`);
  return roles as Role[];
}

/** The account a command names (user names are lower case), or an error naming it. */
async function accountNamed(identity: Platform['services']['identity'], username: string) {
  const found = await identity.find.userByName(username.toLowerCase());
  if (!found) throw new Error(`unknown user / 用户不存在: ${username}`);
  return found;
}

const user = program.command('user').description('manage user accounts / 用户管理');
user
  .command('add')
  .description('create a user; prints a generated password once / 新建用户')
  .requiredOption('--username <name>', 'login name (lower case)')
  .requiredOption('--org <name>', 'organisation name, e.g. 省公安厅')
  .requiredOption('--roles <list>', `comma-separated: ${ROLES.join(', ')}`)
  .option('--display-name <text>', 'display name')
  .action(async (options: { username: string; org: string; roles: string; displayName?: string }) => {
    await withServices(async ({ identity }) => {
      const org = await identity.find.orgByName(options.org);
      if (!org) throw new Error(`unknown organisation / 机构不存在: ${options.org}`);
      const { user: created, password } = await identity.createUser(CLI_CALLER, {
        username: options.username,
        displayName: options.displayName ?? options.username,
        orgId: org.id,
        roles: parseRoles(options.roles),
      });
      process.stdout.write(
        `created ${created.username} (${created.roles.join(', ')}) in ${org.name}\npassword (shown once, must be changed at first sign-in): ${password}\n`,
      );
    });
  });
user
  .command('reset-password')
  .description('set a new generated password, printed once / 重置密码')
  .argument('<username>')
  .action(async (username: string) => {
    await withServices(async ({ identity }) => {
      const found = await accountNamed(identity, username);
      const { password } = await identity.resetPassword(CLI_CALLER, found.id);
      process.stdout.write(`new password for ${found.username} (shown once, must be changed at first sign-in): ${password}\n`);
    });
  });

user
  .command('reset-mfa')
  .description('remove an account’s authenticator and recovery codes (also of 三员); it enrols again at the next sign-in; audited and alerted / 重置动态验证码')
  .argument('<username>')
  .action(async (username: string) => {
    await withServices(async ({ identity }) => {
      const found = await accountNamed(identity, username);
      await identity.resetSecondFactor(CLI_CALLER, found.id);
      process.stdout.write(
        `authenticator of ${found.username} removed; it sets one up at the next sign-in (recorded in the audit log and alerted to security operations)\n` +
          `已重置 ${found.username} 的动态验证码，下次登录时重新绑定（已记入审计日志并告警）\n`,
      );
    });
  });

user
  .command('update')
  .description('change roles, organisation or name, disable or enable an account / 修改用户')
  .argument('<username>')
  .option('--roles <list>', `comma-separated: ${ROLES.join(', ')}`)
  .option('--org <name>', 'organisation name')
  .option('--display-name <text>', 'display name')
  .option('--disable', 'disable the account and end its sessions / 停用')
  .option('--enable', 'enable the account / 启用')
  .action(async (username: string, options: { roles?: string; org?: string; displayName?: string; disable?: boolean; enable?: boolean }) => {
    if (options.disable && options.enable) throw new Error('--disable and --enable exclude each other');
    await withServices(async ({ identity }) => {
      const found = await accountNamed(identity, username);
      const org = options.org ? await identity.find.orgByName(options.org) : undefined;
      if (options.org && !org) throw new Error(`unknown organisation / 机构不存在: ${options.org}`);
      const updated = await identity.updateUser(CLI_CALLER, found.id, {
        ...(options.roles ? { roles: parseRoles(options.roles) } : {}),
        ...(org ? { orgId: org.id } : {}),
        ...(options.displayName ? { displayName: options.displayName } : {}),
        ...(options.disable ? { disabled: true } : options.enable ? { disabled: false } : {}),
      });
      process.stdout.write(`updated ${updated.username} (${updated.roles.join(', ')})${updated.disabled ? ' — disabled' : ''}\n`);
    });
  });

program
  .command('org')
  .description('manage organisations / 机构管理')
  .command('add')
  .description('create an organisation / 新建机构')
  .requiredOption('--name <name>', 'e.g. 朝阳市民政局')
  .requiredOption('--type <type>', 'authority | government | department | enterprise')
  .requiredOption('--level <level>', 'province | city | county')
  .requiredOption('--region <code>', 'GB/T 2260 region code, e.g. 211300')
  .option('--uscc <code>', '统一社会信用代码')
  .option('--parent <name>', 'parent organisation name')
  .action(async (options: { name: string; type: string; level: string; region: string; uscc?: string; parent?: string }) => {
    await withServices(async ({ identity }) => {
      const parent = options.parent ? await identity.find.orgByName(options.parent) : undefined;
      if (options.parent && !parent) throw new Error(`unknown parent organisation / 上级机构不存在: ${options.parent}`);
      if (!['authority', 'government', 'department', 'enterprise'].includes(options.type))
        throw new Error(`--type must be authority, government, department or enterprise`);
      if (!['province', 'city', 'county'].includes(options.level)) throw new Error(`--level must be province, city or county`);
      const org = await identity.createOrg(CLI_CALLER, {
        name: options.name,
        type: options.type as 'department',
        level: options.level as 'city',
        regionCode: options.region,
        uscc: options.uscc?.toUpperCase() ?? null,
        parentId: parent?.id ?? null,
      });
      process.stdout.write(`created organisation ${org.name} (${org.id})\n`);
    });
  });

program
  .command('import')
  .description('load a file as a new version of a dataset, with progress / 导入数据文件')
  .argument('<file>', 'CSV/TSV (UTF-8, GBK, GB18030), JSON, NDJSON or XLSX')
  .requiredOption('--dataset <code>', 'dataset code, e.g. 210000-000001')
  .option('--mode <mode>', 'append | replace', 'replace')
  .option('--encoding <name>', 'utf-8 | gbk | gb18030 (default: detected)')
  .option('--sheet <name>', 'XLSX sheet name or number')
  .option('--as-of <time>', 'when the data was extracted (数据截至), e.g. 2026-01-31 or 2026-01-31T18:00:00+08:00; the update cycle is judged by it')
  .action(async (file: string, options: { dataset: string; mode: string; encoding?: string; sheet?: string; asOf?: string }) => {
    if (options.mode !== 'append' && options.mode !== 'replace') throw new Error('--mode must be append or replace');
    const asOf = options.asOf === undefined ? undefined : asOfInstant(options.asOf);
    const ok = await withServices(async ({ catalog, ingest, jobs }, db) => {
      const dataset = await catalog.byCode(options.dataset);
      if (!dataset) throw new Error(`unknown dataset / 数据资源不存在: ${options.dataset}`);
      // The command acts as the provider's data officer who registered the dataset.
      const caller = {
        principal: {
          kind: 'user' as const,
          userId: dataset.created_by ?? '',
          username: 'cli',
          orgId: dataset.provider_org_id,
          roles: ['data_officer' as const],
        },
        requestId: 'cli',
      };
      const jobId = await ingest.importFile(caller, options.dataset, file, {
        mode: options.mode as 'append' | 'replace',
        options: {
          ...(options.encoding ? { encoding: options.encoding } : {}),
          ...(options.sheet ? { sheet: /^\d+$/.test(options.sheet) ? Number(options.sheet) : options.sheet } : {}),
        },
        ...(asOf ? { asOf } : {}),
      });
      const job = await followJob(jobs, jobId);
      void db;
      if (job?.state === 'succeeded') {
        const r = job.result as { version: number; rows: number; quarantined: number; grade: number };
        process.stdout.write(`loaded version ${r.version} of ${options.dataset}: ${r.rows} rows, ${r.quarantined} quarantined, grade ${r.grade} / 已导入\n`);
        return true;
      }
      process.stderr.write(`\nimport failed / 导入失败: ${job?.error ? `${job.error.message.zh} / ${job.error.message.en}` : 'unknown'}\n`);
      return false;
    });
    if (!ok) process.exit(1);
  });

registerScanCommand(program);

registerExchangeCommands(program, { withServices: (fn) => withServices((services) => fn(services)), followJob });

registerKeysCommands(program, {
  async open() {
    const config = configOrExit();
    const db = await openDatabase(config);
    await migrate(db);
    const { services } = await createPlatform(config, db);
    return {
      db,
      keyring: services.keyring,
      resolveDataset: async (code) => (await services.catalog.byCode(code))?.id,
      async scheduleReencryption(datasetId) {
        // Queued in the database: a running server's worker (or the drain below) carries it out.
        const jobId = await services.rotation.schedule(datasetId);
        await services.jobs.drain();
        return jobId;
      },
      async close() {
        await services.audit.close();
        await db.close();
      },
    };
  },
});

registerAuditCommands(
  program,
  async () => {
    const config = configOrExit();
    const db = await openDatabase(config);
    await migrate(db);
    const { services } = await createPlatform(config, db);
    return { audit: services.audit, close: () => db.close() };
  },
  async (publicKeyPem) => {
    // Verification needs neither the master key nor the signing key, and must never make one.
    const config = configOrExit();
    const db = await openDatabase(config);
    try {
      await migrate(db);
      const opened = await openAuditForVerify({
        db,
        hash: config.PDX_CRYPTO === 'gm' ? 'sm3' : 'sha256',
        trust: auditTrustOf(config),
        ...(publicKeyPem ? { publicKeyPem } : {}),
      });
      return { ...opened, close: () => db.close() };
    } catch (error) {
      await db.close();
      throw error;
    }
  },
);

const demo = program.command('demo');
registerBurstCommand(demo, {
  async open() {
    const config = configOrExit();
    const db = await openDatabase(config);
    await migrate(db);
    // The burst's in-process requests would fill the terminal with the request log.
    const quiet = new Writable({ write: (_chunk, _encoding, done) => done() });
    const { services, app } = await createPlatform(config, db, { logStream: quiet });
    return {
      services,
      inject: app.inject.bind(app),
      async close() {
        await services.audit.close();
        await db.close();
      },
    };
  },
});
demo
  .description('load the Liaoning demo world; --reset first erases everything / 加载演示数据')
  .option('--reset', 'erase ALL data of this database first (asks no question) / 先清空全部数据')
  .action(async (options: { reset?: boolean }) => {
    const config = configOrExit();
    const db = await openDatabase(config);
    try {
      if (options.reset) {
        // The audit tables refuse UPDATE/DELETE/TRUNCATE; erasing a demo database drops the schema whole.
        await db.exec('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
        // The pinned audit key and the witness describe the log just erased.
        auditTrustOf(config).forget();
        process.stdout.write('database erased / 已清空数据库\n');
      }
      await migrate(db);
      const { services } = await createPlatform(config, db);
      try {
        const first = await bootstrapIdentity(db, services.identity, {
          sysadmin: config.PDX_ADMIN_PASSWORD,
          secadmin: config.PDX_SECADMIN_PASSWORD,
          auditor: config.PDX_AUDITOR_PASSWORD,
        });
        if (first) printFirstCredentials(first);
        process.stdout.write('loading the demo world / 正在加载演示数据 …\n');
        const accounts = await loadDemoWorld(services, {
          dataDir: config.dataDir,
          people: config.PDX_DEMO_PEOPLE,
          log: (line) => process.stdout.write(`${line}\n`),
        });
        // The live plant (its gateway's credentials are rewritten, so a reset world gets fresh ones).
        if (config.PDX_DEMO_TELEMETRY !== false)
          await loadDemoTelemetry(services, { dataDir: config.dataDir, log: (line) => process.stdout.write(`${line}\n`) });
        printDemoAccounts(accounts);
      } finally {
        await services.audit.close();
      }
    } finally {
      await db.close();
    }
  });

program
  .command('config')
  .description('list the PDX_* configuration variables / 列出配置项')
  .action(() => {
    for (const row of describeConfig()) process.stdout.write(`${row.name}\t${row.default}\t${row.description}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  // Application errors carry a bilingual message; show both.
  const text = error instanceof AppError ? `${error.text.zh} / ${error.text.en}` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`pdx: ${text}\n`);
  process.exit(1);
});

/** `--as-of`: a date (the end of that day in China, when the extract was complete) or an ISO 8601 time with its offset. */
function asOfInstant(text: string): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(text);
  const ms = day
    ? Date.parse(`${text}T00:00:00+08:00`) + 86_400_000
    : /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)
      ? Date.parse(text)
      : NaN;
  if (Number.isNaN(ms)) throw new Error(`--as-of: not a date or an ISO 8601 time with offset / 数据截至时间无效: ${text}`);
  // Today's date means "as of now"; a time in the future is refused by the load itself.
  return new Date(day ? Math.min(ms, Date.now()) : ms).toISOString();
}
