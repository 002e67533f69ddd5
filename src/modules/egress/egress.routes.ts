/** The security administrator's egress allowlist: networks upstreams and data sources may point at although refused by default. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf, errorResponses } from '../../http/kit.ts';
import type { EgressService } from './egress.service.ts';

const errors = errorResponses(400, 401, 403);
const settings = z.object({
  env: z.array(z.string()).describe('PDX_UPSTREAM_ALLOW 中的网段（只读）'),
  networks: z.array(z.string()).describe('安全管理员允许的网段'),
});
const secadmin = { roles: ['secadmin'] as const };

export function egressRoutes(deps: { egress: EgressService }): FastifyPluginAsyncZod {
  const { egress } = deps;
  return async (app) => {
    app.get(
      '/egress/allow',
      {
        config: { access: secadmin },
        schema: { tags: ['egress'], summary: 'Networks upstreams may point at / 上游地址白名单', response: { 200: settings, ...errors } },
      },
      async () => egress.settings(),
    );
    app.put(
      '/egress/allow',
      {
        config: { access: secadmin },
        schema: {
          tags: ['egress'],
          summary: 'Change the upstream allowlist / 修改上游地址白名单',
          body: z.object({ networks: z.array(z.string().max(64)).max(200).describe('网段（CIDR），如 127.0.0.1/32、10.20.0.0/16') }),
          response: { 200: settings, ...errors },
        },
      },
      async (request) => egress.setNetworks(callerOf(request), request.body.networks),
    );
  };
}
