/** Typed calls of the classification review API (src/modules/classify/review.routes.ts). */
import { api } from './client.ts';

export type Grade = 1 | 2 | 3 | 4;
export type Level = 'general' | 'important' | 'core';
export type ReviewState = 'unreviewed' | 'confirmed' | 'changed';

export const TYPE_IDS = [
  'cn_resident_id', 'cn_uscc', 'cn_org_code', 'cn_mobile', 'cn_landline', 'bank_card', 'email', 'passport', 'hk_macau_permit',
  'tw_permit', 'cn_plate', 'ipv4', 'ipv6', 'mac', 'gps', 'date_of_birth', 'person_name', 'address',
] as const;
export type TypeId = (typeof TYPE_IDS)[number];

export interface Decision {
  level: Level;
  reason: string;
  version: number;
  decidedBy: string | null;
  decidedAt: string;
}

export interface Important {
  candidate: boolean;
  reasons: string[];
  persons: { type: string; count: number; exact: boolean } | null;
  rows: number;
  decision: Decision | null;
}

export interface ReviewSummary {
  code: string;
  name: string;
  providerName: string;
  status: 'draft' | 'published' | 'withdrawn';
  currentVersion: number;
  state: ReviewState;
  confirmation: { version: number; by: string | null; at: string } | null;
  detectedGrade: Grade;
  effectiveGrade: Grade;
  flaggedColumns: string[];
  replaceColumns: string[];
  needsReplace: boolean;
  level: Level;
  important: Important;
  protection: { grade: Grade; encryptAtRest: boolean; defaultShare: 'masked' | 'clear'; clearRequires: ('provider' | 'security')[] };
}

export interface DetectedType {
  type: TypeId;
  confidence: number;
  matched: number;
  checksumFailed: number;
}

export interface ReviewColumn {
  name: string;
  position: number;
  dataType: string;
  encrypted: boolean;
  /** `text`: a free-text column, graded by the spans found in its values (examples are masked spans). */
  detected: { types: DetectedType[]; category: string | null; sensitive: boolean; grade: Grade; text?: { spans: { type: TypeId; count: number }[]; scanned: number } };
  detectedType: TypeId | null;
  effectiveType: TypeId | null;
  effectiveGrade: Grade;
  overridden: boolean;
  review: { type: TypeId | null; grade: Grade; override: boolean; reason: string; reviewer: string | null; reviewedAt: string; version: number } | null;
  changed: boolean;
  examples: string[];
}

export interface ReviewView extends ReviewSummary {
  columns: ReviewColumn[];
  notice: string | null;
}

export interface ColumnDecision {
  name: string;
  type: TypeId | null;
  grade: Grade;
  reason?: string;
}

export interface Candidate {
  code: string;
  name: string;
  providerName: string;
  status: 'draft' | 'published' | 'withdrawn';
  currentVersion: number;
  grade: number | null;
  important: Important;
}

export interface ImportantRule {
  id: string;
  description: string;
  types?: TypeId[];
  headerPattern?: string;
  minRows?: number;
  minDistinctPersons?: number;
}

export interface Policy {
  defaultGrade: Grade;
  types: Partial<Record<TypeId, { category: string | null; sensitive: boolean; grade: Grade }>>;
  importantPersonThreshold: number;
  extraRules: ImportantRule[];
  /** Lowest grade encrypted at rest: 4 (default) or 3. */
  encryptFromGrade?: 3 | 4;
}

export const classifyApi = {
  list: () => api<{ items: ReviewSummary[] }>('GET', '/api/v1/classification/datasets'),
  view: (code: string) => api<ReviewView>('GET', `/api/v1/datasets/${encodeURIComponent(code)}/classification`),
  review: (code: string, body: { version?: number; columns: ColumnDecision[] }) =>
    api<ReviewView>('PUT', `/api/v1/datasets/${encodeURIComponent(code)}/classification`, body),
  candidates: (all = false) => api<{ items: Candidate[] }>('GET', `/api/v1/classification/candidates${all ? '?all=true' : ''}`),
  decide: (code: string, body: { level: Level; reason: string }) =>
    api<Candidate>('POST', `/api/v1/classification/candidates/${encodeURIComponent(code)}/decision`, body),
  policy: () => api<Policy>('GET', '/api/v1/classification/policy'),
  savePolicy: (policy: Policy) => api<Policy>('PUT', '/api/v1/classification/policy', policy),
};
