/** Request and response types of /api/v1/duties/* and the clocks on share requests (issue 20). */
import { api } from './client.ts';

export type ClockState = 'running' | 'due_soon' | 'overdue' | 'met' | 'late';

export interface StageClock {
  stage: 'provider' | 'security';
  limitDays: number;
  extensionDays: number;
  startedAt: string;
  dueAt: string;
  endedAt: string | null;
  state: ClockState;
  remainingWorkingDays: number | null;
  escalatedAt: string | null;
}

export interface RequestClock {
  basis: 'unconditional' | 'conditional_shared' | 'conditional';
  current: StageClock | null;
  stages: StageClock[];
  extension: { days: number; reason: string; at: string } | null;
}

export type ObjectionState = 'open' | 'accepted' | 'rejected' | 'escalated' | 'dismissed';

export interface ObjectionCell {
  row: number;
  column: string;
  proposed: string | null;
}

export interface Objection {
  id: string;
  dataset: { code: string; name: string };
  providerOrgId: string;
  raisedOrgId: string;
  cells: ObjectionCell[];
  evidence: string;
  state: ObjectionState;
  dueAt: string;
  overdue: boolean;
  answer: string | null;
  answeredAt: string | null;
  correctionVersion: number | null;
  changes: { row: number; column: string; before: string | null; after: string | null; encrypted: boolean }[] | null;
  escalationReason: string | null;
  escalatedAt: string | null;
  decisionNote: string | null;
  decidedAt: string | null;
  createdAt: string;
}

const id = (value: string) => encodeURIComponent(value);

export const dutiesApi = {
  extend: (requestId: string, days: number, reason: string) => api<RequestClock>('POST', `/api/v1/duties/requests/${id(requestId)}/extend`, { days, reason }),
  objections: () => api<{ items: Objection[] }>('GET', '/api/v1/duties/objections').then((r) => r.items),
  raise: (input: { dataset: string; cells: ObjectionCell[]; evidence: string }) => api<Objection>('POST', '/api/v1/duties/objections', input),
  accept: (objectionId: string, note?: string) => api<Objection>('POST', `/api/v1/duties/objections/${id(objectionId)}/accept`, note ? { note } : {}),
  reject: (objectionId: string, reason: string) => api<Objection>('POST', `/api/v1/duties/objections/${id(objectionId)}/reject`, { reason }),
  escalate: (objectionId: string, reason: string) => api<Objection>('POST', `/api/v1/duties/objections/${id(objectionId)}/escalate`, { reason }),
  decide: (objectionId: string, uphold: boolean, note: string) => api<Objection>('POST', `/api/v1/duties/objections/${id(objectionId)}/decide`, { uphold, note }),
};
