// Summarises V8 .cpuprofile files (node --cpu-prof): self time per function and per file, top N.
//   node test/scripts/cpuprofile-top.mjs DIR_OR_FILE [N]
import fs from 'node:fs';
import path from 'node:path';

const target = process.argv[2];
const top = Number(process.argv[3] ?? 25);
const files = fs.statSync(target).isDirectory()
  ? fs
      .readdirSync(target)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(target, f))
  : [target];
const byFn = new Map();
const inclusive = new Map();
const byFile = new Map();
let total = 0;
for (const file of files) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  // Inclusive time: each function once per stack (recursion not counted twice).
  const parent = new Map();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  for (const [id, us] of dt) {
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const f = nodes.get(at).callFrame;
      if (!f.url || f.url.startsWith('node:')) continue;
      const key = `${f.functionName || '(anonymous)'}  ${f.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  for (const [id, us] of dt) {
    const n = nodes.get(id);
    const f = n.callFrame;
    const where = f.url ? f.url.replace(/^file:\/\//, '').replace(process.cwd() + '/', '') : '(native)';
    const key = `${f.functionName || '(anonymous)'}  ${where}:${f.lineNumber + 1}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
    byFile.set(where, (byFile.get(where) ?? 0) + us);
    total += us;
  }
}
const print = (title, map) => {
  console.log(`\n${title} (total ${(total / 1e6).toFixed(2)} s)`);
  for (const [k, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(6)} s  ${k}`);
};
print('self time by function', byFn);
print('self time by file', byFile);
print('inclusive time by function (project and packages)', inclusive);
