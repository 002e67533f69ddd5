/** Requests and types of the interface-sharing console (接口服务). */
import { api } from './client.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description: string;
}

export interface Operation {
  id: string;
  method: Method | string;
  path: string;
  summary: string;
  parameters: Parameter[];
  /** Response fields (JSON paths) of this operation. */
  fields: string[];
}

export interface ImportedOperation extends Omit<Operation, 'fields'> {
  fields: { path: string; label: string; dataType: string }[];
}

export interface ServiceView {
  code: string;
  name: string;
  status: string;
  shareType: string;
  providerOrgId: string;
  providerName: string;
  grade: number | null;
  /** Shown to the provider and the security administrator only. */
  baseUrl: string | null;
  timeoutMs: number;
  maxConcurrency: number;
  authHeader: string | null;
  hasCredential: boolean;
  operations: Operation[];
  fields: { name: string; label: string; grade: number | null; type: string | null; dataType: string }[];
}

export interface RegisterInput {
  name: string;
  summary?: string;
  baseUrl: string;
  timeoutMs?: number;
  auth?: { header: string; secret: string };
  openapi?: string;
  samples?: Record<string, unknown>;
}

export const gatewayApi = {
  list: async () => (await api<{ items: ServiceView[] }>('GET', '/api/v1/gateway/services')).items,
  get: (code: string) => api<ServiceView>('GET', `/api/v1/gateway/services/${encodeURIComponent(code)}`),
  register: (input: RegisterInput) => api<ServiceView>('POST', '/api/v1/gateway/services', input),
  preview: (openapi: string) => api<{ title: string; servers: string[]; operations: ImportedOperation[] }>('POST', '/api/v1/gateway/openapi/preview', { openapi }),
  setCredential: (code: string, auth: { header: string; secret: string } | null) => api<ServiceView>('PUT', `/api/v1/gateway/services/${encodeURIComponent(code)}/credential`, { auth }),
  publish: (code: string) => api<unknown>('POST', `/api/v1/datasets/${encodeURIComponent(code)}/publish`),
};
