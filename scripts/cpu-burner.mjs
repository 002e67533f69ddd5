#!/usr/bin/env node
/**
 * Keeps every core busy while a command runs, to check that the test suite does not depend on the
 * machine's speed (issue 25): `node scripts/cpu-burner.mjs -- npm test`.
 *
 * One busy loop per core (or `--threads N`), each in its own worker thread at normal priority, so
 * the command competes for the CPU as it would on a shared CI machine. The burner stops when the
 * command ends (or is interrupted) and exits with the command's status. Without a command it burns
 * until interrupted (Ctrl-C), to load the machine while something else is started by hand.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { Worker } from 'node:worker_threads';

const USAGE = 'usage: node scripts/cpu-burner.mjs [--threads N] [-- command args…]';

function parse(argv) {
  const dash = argv.indexOf('--');
  const own = dash === -1 ? argv : argv.slice(0, dash);
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  let threads = os.availableParallelism?.() ?? os.cpus().length;
  for (let i = 0; i < own.length; i++) {
    if (own[i] === '--threads' && /^\d+$/.test(own[i + 1] ?? '')) threads = Number(own[++i]);
    else if (own[i] === '-h' || own[i] === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else {
      console.error(`cpu-burner: unknown argument ${own[i]}\n${USAGE}`);
      process.exit(2);
    }
  }
  return { threads, command };
}

const { threads, command } = parse(process.argv.slice(2));

// A busy loop that never yields; the worker is terminated from outside.
const LOOP = 'let x = 0; for (;;) { x = (x * 1103515245 + 12345) % 2147483648; }';
const workers = Array.from({ length: threads }, () => new Worker(LOOP, { eval: true }));
console.error(`[cpu-burner] ${threads} busy thread(s) on ${os.cpus().length} core(s)`);

async function stop(code) {
  await Promise.all(workers.map((w) => w.terminate()));
  process.exit(code);
}

if (command.length === 0) {
  console.error('[cpu-burner] no command: burning until interrupted');
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void stop(0));
} else {
  const started = Date.now();
  const child = spawn(command[0], command.slice(1), { stdio: 'inherit' });
  // Pass interruptions on to the command; the burner ends with it.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (e) => {
    console.error(`[cpu-burner] could not start ${command[0]}: ${e.message}`);
    void stop(127);
  });
  child.on('exit', (code, signal) => {
    console.error(`[cpu-burner] ${command.join(' ')} ended (${signal ?? `status ${code}`}) after ${((Date.now() - started) / 1000).toFixed(0)} s`);
    void stop(code ?? 1);
  });
}
