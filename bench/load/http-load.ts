/**
 * The HTTP load generator of the benchmarks, run in its own process so it does not share the event
 * loop of the server it measures: `node --import tsx bench/load/http-load.ts <url> <clients> <ms>
 * [headers-json]` runs that many keep-alive clients for that long and prints one JSON line
 * {requests, rps, p99, errors, bytes}.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

const [url, clientsText, msText, headersText] = process.argv.slice(2);
const target = new URL(url!);
const clients = Number(clientsText ?? 32);
const ms = Number(msText ?? 4000);
const headers = JSON.parse(headersText ?? '{}') as Record<string, string>;
const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
const latencies: number[] = [];
let errors = 0;
let bytes = 0;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const start = performance.now();
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname + target.search, agent, headers }, (res) => {
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - start);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
    req.end();
  });
}

const started = performance.now();
const end = started + ms;
await Promise.all(Array.from({ length: clients }, async () => {
  while (performance.now() < end) await one();
}));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
agent.destroy();
console.log(JSON.stringify({ requests: latencies.length, rps: latencies.length / seconds, p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0, errors, bytes }));
