import client from 'prom-client';
import type { Db } from '../db/index.ts';

/** Prometheus metrics of one server: HTTP traffic, process defaults, and the database backend. */
export function createMetrics(db: Db) {
  // One registry per app, so several servers in one process (tests) do not collide.
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'pdx_' });
  const requests = new client.Counter({
    name: 'pdx_http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'pdx_http_request_duration_seconds',
    help: 'HTTP request duration by route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  new client.Gauge({
    name: 'pdx_database_info',
    help: 'Database backend in use (1 for the active one)',
    labelNames: ['backend'] as const,
    registers: [registry],
  }).set({ backend: db.backend }, 1);

  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    observe(method: string, route: string, status: number, seconds: number) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
