/** Calls and shapes of the platform endpoints: version, health, the overview dashboard (src/modules/system, overview). */
import { GET, type ResponseOf } from './client.ts';

export type SystemInfo = ResponseOf<'/api/v1/system/info', 'get'>;
export type Overview = ResponseOf<'/api/v1/overview', 'get'>;
export type Todo = ResponseOf<'/api/v1/overview/todo', 'get'>;
export type TodoKind = Todo['items'][number]['kind'];

export const systemApi = {
  info: () => GET('/api/v1/system/info'),
  overview: () => GET('/api/v1/overview'),
  todo: () => GET('/api/v1/overview/todo'),
  /** Whether /health answers 200 (database reachable). */
  healthy: () =>
    GET('/health').then(
      () => true,
      () => false,
    ),
};
