// Builds the console into web/dist. With --if-stale it does nothing when dist is newer than every
// source file, so `npm start` stays fast after the first run.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'web');
const built = path.join(root, 'dist', 'index.html');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const stale = !fs.existsSync(built) || fs.statSync(built).mtimeMs < newestSource(root);
if (process.argv.includes('--if-stale') && !stale) process.exit(0);

console.log('building the web console / 正在构建控制台 …');
const { build } = await import('vite');
await build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn' });
console.log('console built into web/dist');
