/**
 * `/api/v1/duties/*`: request clocks and queues, extensions, per-department counts, the working-day
 * calendar and the security administrator's settings of time limits and calendar.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { callerOf } from '../identity/identity.routes.ts';
import { requestClockSchema } from '../share/clock.ts';
import type { DutiesService } from './duties.service.ts';
import { dutiesSettingsSchema } from './duties.settings.ts';

const error = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }) });
const errors = { 400: error, 401: error, 403: error, 404: error, 409: error };
const id = z.object({ id: z.uuid() });
const participant = { roles: ['consumer', 'data_officer', 'secadmin'] as const };

const queueItem = z.object({
  id: z.string(),
  dataset: z.object({ code: z.string(), name: z.string() }),
  providerName: z.string(),
  consumerName: z.string(),
  state: z.string(),
  createdAt: z.date(),
  clock: requestClockSchema.nullable(),
});

const calendarDay = z.object({ date: z.string(), kind: z.enum(['holiday', 'workday']), name: z.string(), origin: z.enum(['official', 'override']) });

const department = z.object({
  orgId: z.string(),
  orgName: z.string(),
  requests: z.number().int(),
  open: z.number().int(),
  answeredOnTime: z.number().int(),
  answeredLate: z.number().int(),
  overdueOpen: z.number().int(),
  escalated: z.number().int(),
  extended: z.number().int(),
});

export function dutiesRoutes(deps: { duties: DutiesService }): FastifyPluginAsyncZod {
  const { duties } = deps;
  return async (app) => {
    app.get(
      '/duties/requests',
      {
        config: { access: participant },
        schema: {
          tags: ['duties'],
          summary: 'Open share requests I made, must answer or approve, most urgent first, with their clocks / 待办申请及时限',
          response: { 200: z.object({ items: z.array(queueItem) }), ...errors },
        },
      },
      async (request) => ({
        items: (await duties.queue(callerOf(request).principal)).map(({ request: r, clock }) => ({
          id: r.id,
          dataset: { code: r.dataset_code, name: r.dataset_name },
          providerName: r.provider_name,
          consumerName: r.consumer_name,
          state: r.state,
          createdAt: r.created_at,
          clock,
        })),
      }),
    );

    app.get(
      '/duties/requests/:id/clock',
      {
        config: { access: participant },
        schema: { tags: ['duties'], summary: "A request's time-limit clock / 申请时限", params: id, response: { 200: requestClockSchema.nullable(), ...errors } },
      },
      async (request) => (await duties.requestClock(callerOf(request).principal, request.params.id)).clock,
    );

    app.post(
      '/duties/requests/:id/extend',
      {
        config: { access: { roles: ['data_officer'] } },
        schema: {
          tags: ['duties'],
          summary: "The provider's one extension of the answer deadline, with a reason / 申请延期答复",
          params: id,
          body: z.object({ days: z.number().int().min(1).max(60).describe('延长的工作日数(不超过设置的上限,默认 15)'), reason: z.string().trim().min(2).max(2000).describe('延期理由') }),
          response: { 200: requestClockSchema, ...errors },
        },
      },
      async (request) => duties.extend(callerOf(request), request.params.id, request.body),
    );

    app.get(
      '/duties/departments',
      {
        config: { access: { roles: ['secadmin', 'data_officer'] } },
        schema: { tags: ['duties'], summary: 'Share requests answered on time, late, overdue per provider department / 各部门申请答复情况', response: { 200: z.object({ items: z.array(department) }), ...errors } },
      },
      async (request) => {
        const p = callerOf(request).principal;
        const items = await duties.departments();
        // A department's officers see their own line; the platform authority sees every department.
        return { items: p.roles.includes('secadmin') ? items : items.filter((d) => d.orgId === p.orgId) };
      },
    );

    app.get(
      '/duties/calendar',
      {
        config: { access: { roles: ['consumer', 'data_officer', 'secadmin', 'sysadmin', 'auditor'] } },
        schema: {
          tags: ['duties'],
          summary: 'Holidays and make-up working days of a year (official table and overrides) / 工作日历',
          querystring: z.object({ year: z.coerce.number().int().min(2000).max(2100) }),
          response: { 200: z.object({ year: z.number(), days: z.array(calendarDay) }), ...errors },
        },
      },
      async (request) => ({ year: request.query.year, days: (await duties.calendar()).year(request.query.year) }),
    );

    app.get(
      '/duties/settings',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: { tags: ['duties'], summary: 'Time limits and calendar overrides / 时限与日历设置', response: { 200: dutiesSettingsSchema, ...errors } },
      },
      async () => duties.settings(),
    );

    app.put(
      '/duties/settings',
      {
        config: { access: { roles: ['secadmin'] } },
        schema: { tags: ['duties'], summary: 'Change time limits and calendar overrides / 修改时限与日历', body: z.unknown(), response: { 200: dutiesSettingsSchema, ...errors } },
      },
      async (request) => duties.updateSettings(callerOf(request), request.body),
    );
  };
}
