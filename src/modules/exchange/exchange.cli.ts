/**
 * `pdx source add|test|list`, `pdx sync DATASET` and `pdx push list`. The source commands act as a named data officer
 * (`--as`), whose organisation owns the source; the password is read from PDX_SOURCE_PASSWORD or the
 * first line of standard input, never from the command line (other users see `ps`).
 */
import type { Command } from 'commander';
import type { Platform } from '../../main.ts';
import type { Role } from '../../http/access.ts';
import type { Caller } from '../../http/kit.ts';
import { SOURCE_KINDS, type SourceKind } from './connectors.ts';

export interface ExchangeCliDeps {
  withServices<T>(fn: (services: Platform['services']) => Promise<T>): Promise<T>;
  /** Runs a queued job in this process (or waits for a server's worker), printing progress. */
  followJob(jobs: Platform['services']['jobs'], jobId: string): ReturnType<Platform['services']['jobs']['get']>;
  write?: (text: string) => void;
  readStdin?: () => Promise<string>;
}

async function firstLineOfStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** The caller of a user named on the command line who holds one of `roles`. */
async function member(services: Platform['services'], username: string, roles: readonly Role[], what: { en: string; zh: string }): Promise<Caller> {
  const user = await services.identity.find.userByName(username);
  if (!user || !user.roles.some((r) => roles.includes(r))) throw new Error(`no ${what.en} named ${username} / 没有该${what.zh}`);
  return { principal: { kind: 'user', userId: user.id, username: user.username, orgId: user.org_id, roles: user.roles }, requestId: 'cli' };
}

/** The caller of a data officer named on the command line. */
const officer = (services: Platform['services'], username: string) => member(services, username, ['data_officer'], { en: 'data officer', zh: '数据管理员' });

export function registerExchangeCommands(program: Command, deps: ExchangeCliDeps): void {
  const write = deps.write ?? ((text: string) => process.stdout.write(text));
  const source = program.command('source').description("departments' databases: register, test, list / 数据源");

  source
    .command('add')
    .description('register a database (password from PDX_SOURCE_PASSWORD or stdin) / 登记数据源')
    .requiredOption('--as <username>', 'the data officer registering it (their organisation owns it)')
    .requiredOption('--name <name>', 'a name for the source')
    .requiredOption('--kind <kind>', SOURCE_KINDS.join(' | '))
    .requiredOption('--host <host>', 'host name or address')
    .requiredOption('--port <port>', 'port')
    .requiredOption('--database <name>', 'database name')
    .requiredOption('--user <name>', 'a read-only user')
    .option('--tls <mode>', 'verify-full | require | off', 'verify-full')
    .option('--ca <file>', 'PEM of the CA (verify-full)')
    .action(async (o: { as: string; name: string; kind: string; host: string; port: string; database: string; user: string; tls: string; ca?: string }) => {
      if (!(SOURCE_KINDS as string[]).includes(o.kind)) throw new Error(`--kind must be one of ${SOURCE_KINDS.join(', ')}`);
      if (!['verify-full', 'require', 'off'].includes(o.tls)) throw new Error('--tls must be verify-full, require or off');
      const password = process.env.PDX_SOURCE_PASSWORD ?? (await (deps.readStdin ?? firstLineOfStdin)());
      if (!password) throw new Error('no password: set PDX_SOURCE_PASSWORD or give it on standard input');
      const ca = o.ca ? (await import('node:fs')).readFileSync(o.ca, 'utf8') : undefined;
      await deps.withServices(async (services) => {
        const s = await services.exchange.service.addSource(await officer(services, o.as), {
          name: o.name,
          kind: o.kind as SourceKind,
          host: o.host,
          port: Number(o.port),
          database: o.database,
          user: o.user,
          password,
          tls: o.tls as 'verify-full' | 'require' | 'off',
          ca,
        });
        write(`registered source ${s.name} (${s.id}) / 已登记数据源\n`);
      });
    });

  source
    .command('test')
    .description('test a source: reachability, version, privileges / 测试连接')
    .argument('<name>', 'source name')
    .requiredOption('--as <username>', 'a data officer of the owning organisation')
    .action(async (name: string, o: { as: string }) => {
      const ok = await deps.withServices(async (services) => {
        const caller = await officer(services, o.as);
        const s = await services.exchange.service.repo.sourceByName(caller.principal.orgId, name);
        if (!s) throw new Error(`no source named ${name} / 没有该数据源`);
        const r = await services.exchange.service.testSource(caller, s.id);
        if (!r.ok) {
          write(`FAILED / 失败: ${r.error.message.zh} / ${r.error.message.en}\n`);
          return false;
        }
        write(`ok: ${r.outcome.version}\nprivileges / 权限:\n${r.outcome.privileges.map((p) => `  ${p}`).join('\n')}\n`);
        for (const w of r.warnings) write(`warning / 警告: ${w.zh} / ${w.en}\n`);
        return true;
      });
      if (!ok) process.exitCode = 1;
    });

  source
    .command('list')
    .description("the organisation's sources (never a password) / 数据源列表")
    .requiredOption('--as <username>', 'a data officer of the organisation')
    .action(async (o: { as: string }) => {
      await deps.withServices(async (services) => {
        for (const s of await services.exchange.service.listSources(await officer(services, o.as))) {
          write(`${s.name}\t${s.kind}\t${s.user}@${s.host}:${s.port}/${s.database}\ttls=${s.tls}\t${s.state}\n`);
        }
      });
    });

  program
    .command('push')
    .description('push subscriptions (库表推送) of a consumer organisation / 推送订阅')
    .command('list')
    .description("the organisation's subscriptions: state, last delivery, failures / 推送订阅列表")
    .requiredOption('--as <username>', 'a consumer or data officer of the organisation')
    .action(async (o: { as: string }) => {
      await deps.withServices(async (services) => {
        const caller = await member(services, o.as, ['consumer', 'data_officer'], { en: 'consumer or data officer', zh: '数据使用方或数据管理员' });
        for (const s of await services.exchange.push.list(caller)) {
          const last = s.lastDeliveredAt ? s.lastDeliveredAt.toISOString() : '-';
          const problem = s.state === 'stopped' ? (s.stopReason?.code ?? '') : s.lastError ? `${s.lastError.code} ×${s.consecutiveFailures}` : '';
          write(
            `${s.dataset}\t${s.datasetName}\t→ ${s.targetName}:${s.schema}.${s.table}\t${s.mode}\tevery ${s.intervalMinutes} min\t${s.state}\tlast ${last}\t${problem}\n`,
          );
        }
      });
    });

  program
    .command('sync')
    .description("run a dataset's binding now, with progress / 立即同步库表")
    .argument('<dataset>', 'dataset code, e.g. 210000-000001')
    .action(async (code: string) => {
      const ok = await deps.withServices(async (services) => {
        const dataset = await services.catalog.byCode(code);
        if (!dataset) throw new Error(`unknown dataset / 数据资源不存在: ${code}`);
        const binding = await services.exchange.service.repo.bindingOf(dataset.id);
        if (!binding) throw new Error(`dataset ${code} has no binding / 未绑定库表`);
        // Acts as the officer who made the binding.
        const user = binding.created_by ? await services.identity.find.user(binding.created_by) : undefined;
        if (!user) throw new Error('the officer who made the binding no longer exists; bind again');
        const caller: Caller = {
          principal: { kind: 'user', userId: user.id, username: user.username, orgId: user.org_id, roles: user.roles },
          requestId: 'cli',
        };
        const job = await deps.followJob(services.jobs, await services.exchange.service.sync(caller, code));
        if (job?.state === 'succeeded') {
          const r = job.result as { version: number | null; rows: number; quarantined: number; deleted?: number; highWater: string | null };
          write(
            r.version === null
              ? `no new rows in the source / 源表无新数据\n`
              : `loaded version ${r.version} of ${code}: ${r.rows} rows, ${r.quarantined} quarantined${r.deleted ? `, ${r.deleted} deleted` : ''}${r.highWater ? `, up to ${r.highWater}` : ''} / 已同步\n`,
          );
          return true;
        }
        process.stderr.write(`\nsync failed / 同步失败: ${job?.error ? `${job.error.message.zh} / ${job.error.message.en}` : 'unknown'}\n`);
        return false;
      });
      if (!ok) process.exitCode = 1;
    });
}
