/**
 * The upstream of `bench gateway` in its own process: the demo world's 企业信息查询 service
 * (src/modules/demo/world-gateway.ts). Job from PDX_BENCH_UPSTREAM_JOB: { port, token }.
 */
import { startDemoUpstream } from '../../src/modules/demo/world-gateway.ts';

const job = JSON.parse(process.env.PDX_BENCH_UPSTREAM_JOB ?? 'null') as { port: number; token: string } | null;
if (!job) throw new Error('PDX_BENCH_UPSTREAM_JOB is not set');
const upstream = await startDemoUpstream({ port: job.port, host: '127.0.0.1', token: job.token });
process.on('SIGTERM', () => {
  void upstream.app.close().then(() => process.exit(0));
});
