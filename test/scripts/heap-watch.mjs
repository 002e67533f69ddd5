// Preloaded into a pdx process (node --import ./test/scripts/heap-watch.mjs bin/pdx.js …): samples
// the V8 heap, Buffer memory (off the heap) and the RSS every 20 ms. SIGUSR2 writes the peaks since
// the previous SIGUSR2 as JSON to $PDX_HEAP_REPORT.<n> (n = 1, 2, …) and starts a new phase, so a test
// can tell the peaks of each step (idle, upload, load) apart.
import fs from 'node:fs';

const report = process.env.PDX_HEAP_REPORT;
const fresh = () => ({ heapUsed: 0, heapTotal: 0, arrayBuffers: 0, rss: 0, samples: 0 });
let peak = fresh();
let phase = 0;
function sample() {
  const m = process.memoryUsage();
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  peak.rss = Math.max(peak.rss, m.rss);
  peak.samples++;
}
setInterval(sample, 20).unref();
process.on('SIGUSR2', () => {
  sample();
  phase++;
  if (report) fs.writeFileSync(`${report}.${phase}`, JSON.stringify(peak));
  peak = fresh();
});
// On exit: the peaks of the last phase and the process's maximum resident set size.
process.on('exit', () => {
  sample();
  if (report) fs.writeFileSync(`${report}.exit`, JSON.stringify({ ...peak, maxRss: process.resourceUsage().maxRSS * 1024 }));
});
