/**
 * The baseline of `bench gateway`: a bare reverse proxy (Fastify + @fastify/http-proxy) with no pdx
 * code, no policy, no audit and no logger, in its own process, forwarding /api/* to the upstream.
 * Job from PDX_BENCH_PROXY_JOB: { port, upstream }.
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';

const job = JSON.parse(process.env.PDX_BENCH_PROXY_JOB ?? 'null') as { port: number; upstream: string } | null;
if (!job) throw new Error('PDX_BENCH_PROXY_JOB is not set');
const app = Fastify();
await app.register(proxy, { upstream: job.upstream, prefix: '/api', rewritePrefix: '/api' });
app.get('/ready', async () => ({ ok: true }));
await app.listen({ port: job.port, host: '127.0.0.1' });
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
