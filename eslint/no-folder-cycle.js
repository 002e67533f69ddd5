/**
 * pdx/no-folder-cycle: no import cycle between folders of src/. `import-x/no-cycle` sees cycles of
 * files; this rule sees the architecture: src/modules/<m> is one node per module, src/<dir> one node
 * per folder (http, db, cli), and each file directly under src/ (main.ts, errors.ts, config.ts) is its
 * own node. An import X → Y is reported when Y already reaches X through other value imports (type-only
 * imports are erased at run time and are left out, as import-x/no-cycle does).
 *
 * Known cycles that a larger refactor removes are listed as `allow` edges ("from -> to"), each with its
 * reason in the config: an allowed edge is taken out of the graph, so the rest of that cycle passes and
 * any NEW cycle still fails.
 */
import fs from 'node:fs';
import path from 'node:path';

const SOURCE = /\.(ts|tsx|js|mjs)$/;
/** `import …/export … from '…'` statements (the clause in group 1) and dynamic `import('…')`. */
const IMPORT = /(?:^|[;\n])\s*(?:import|export)\s+([^'";]*?\sfrom\s+)?'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;

/** Is the clause of an import (`type { A }`, `{ type A, type B } from`) only about types? */
function typeOnlyClause(clause) {
  if (!clause) return false;
  if (/^type[\s{]/.test(clause)) return true;
  const names = /^\{([^}]*)\}\s*from\s*$/.exec(clause.trim())?.[1];
  return (
    names !== undefined &&
    names
      .split(',')
      .map((n) => n.trim())
      .filter(Boolean)
      .every((n) => n.startsWith('type '))
  );
}

/** The node a file belongs to, or undefined outside src/. */
export function folderOf(srcDir, file) {
  const rel = path.relative(srcDir, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const parts = rel.split(path.sep);
  if (parts[0] === 'modules' && parts.length > 2) return `modules/${parts[1]}`;
  return parts[0];
}

const graphs = new Map();

/** The folder graph of value imports under srcDir (tests left out), built once per lint run. */
function graphOf(srcDir) {
  let graph = graphs.get(srcDir);
  if (graph) return graph;
  graph = new Map();
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (SOURCE.test(entry.name) && !/\.test\.tsx?$/.test(entry.name)) {
        const from = folderOf(srcDir, file);
        for (const m of fs.readFileSync(file, 'utf8').matchAll(IMPORT)) {
          if (typeOnlyClause(m[1])) continue;
          const to = folderOf(srcDir, path.resolve(path.dirname(file), m[2] ?? m[3]));
          if (from && to && from !== to) (graph.get(from) ?? graph.set(from, new Set()).get(from)).add(to);
        }
      }
    }
  };
  walk(srcDir);
  graphs.set(srcDir, graph);
  return graph;
}

/** A path of folders from `from` to `to` not using the allowed edges, or undefined. */
function pathBetween(graph, allow, from, to) {
  const seen = new Set([from]);
  const queue = [[from]];
  while (queue.length) {
    const route = queue.shift();
    const last = route[route.length - 1];
    for (const next of graph.get(last) ?? []) {
      if (allow.has(`${last} -> ${next}`) || seen.has(next)) continue;
      if (next === to) return [...route, next];
      seen.add(next);
      queue.push([...route, next]);
    }
  }
  return undefined;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'No import cycle between folders of src/ (modules, http, db, …)' },
    schema: [
      {
        type: 'object',
        properties: { srcDir: { type: 'string' }, allow: { type: 'object', additionalProperties: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: { cycle: 'Folder import cycle: {{route}}. Depend on the other folder through a service passed in, or move shared code to src/lib/.' },
  },
  create(context) {
    const options = context.options[0] ?? {};
    const srcDir = path.resolve(context.cwd, options.srcDir ?? 'src');
    const allow = new Set(Object.keys(options.allow ?? {}));
    const from = folderOf(srcDir, context.filename);
    if (!from || /\.test\.tsx?$/.test(context.filename)) return {};
    const graph = graphOf(srcDir);

    function check(node, source) {
      if (!source?.startsWith('.')) return;
      const to = folderOf(srcDir, path.resolve(path.dirname(context.filename), source));
      if (!to || to === from || allow.has(`${from} -> ${to}`)) return;
      const back = pathBetween(graph, allow, to, from);
      if (back) context.report({ node, messageId: 'cycle', data: { route: [from, ...back].join(' → ') } });
    }
    const typeOnly = (node) =>
      node.importKind === 'type' ||
      node.exportKind === 'type' ||
      (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));

    return {
      ImportDeclaration: (node) => typeOnly(node) || check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && !typeOnly(node) && check(node, node.source.value),
      ExportAllDeclaration: (node) => node.exportKind !== 'type' && check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};
