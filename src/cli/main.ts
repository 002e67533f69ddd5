import { Command } from 'commander';
import { ConfigError, describeConfig, loadConfig, type Config } from '../config.ts';
import { migrate, openDatabase } from '../db/index.ts';
import { startServer } from '../main.ts';
import { VERSION } from '../version.ts';

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

const program = new Command('pdx')
  .description('pdx — Public Data Exchange (公共数据共享交换平台)')
  .version(VERSION)
  .showHelpAfterError();

program
  .command('start')
  .description('migrate the database and serve the API and console / 启动服务')
  .action(async () => {
    const config = configOrExit();
    const server = await startServer(config);
    const backend = server.db.backend === 'pglite' ? `embedded PGlite in ${config.dataDir}` : 'PostgreSQL server';
    process.stdout.write(`\npdx ${VERSION} is running on ${backend}\n  console / 控制台: ${server.url}/\n  API docs / 接口文档: ${server.url}/docs\n\n`);
    let stopping = false;
    const stop = async () => {
      if (stopping) return;
      stopping = true;
      await server.close();
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

program
  .command('config')
  .description('list the PDX_* configuration variables / 列出配置项')
  .action(() => {
    for (const row of describeConfig()) process.stdout.write(`${row.name}\t${row.default}\t${row.description}\n`);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`pdx: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
