/** Calls and shapes of the classification review API (src/modules/classify/review.routes.ts). */
import { TYPE_IDS as ENGINE_TYPE_IDS } from '../../../src/modules/classify/types.ts';
import { GET, POST, PUT, type BodyOf, type ResponseOf } from './client.ts';

export type ReviewSummary = ResponseOf<'/api/v1/classification/datasets', 'get'>['items'][number];
export type ReviewView = ResponseOf<'/api/v1/datasets/{code}/classification', 'get'>;
export type ReviewColumn = ReviewView['columns'][number];
export type ReviewInput = BodyOf<'/api/v1/datasets/{code}/classification', 'put'>;
export type ColumnDecision = ReviewInput['columns'][number];
export type Candidate = ResponseOf<'/api/v1/classification/candidates', 'get'>['items'][number];
export type Important = Candidate['important'];
export type Policy = ResponseOf<'/api/v1/classification/policy', 'get'>;
export type PolicyInput = BodyOf<'/api/v1/classification/policy', 'put'>;
export type ImportantRule = Policy['extraRules'][number];
export type DataPreview = ResponseOf<'/api/v1/datasets/{code}/preview', 'get'>;

export type Grade = ReviewSummary['effectiveGrade'];
export type Level = ReviewSummary['level'];
export type ReviewState = ReviewSummary['state'];
/** The identifier types a reviewer may confirm (the API answers them as plain strings). */
export type TypeId = NonNullable<ColumnDecision['type']>;

/** Every type, in the order the console lists them: the classification engine's own list (no copy). */
export const TYPE_IDS: readonly TypeId[] = ENGINE_TYPE_IDS;
/** A type the API answered as text, when it is one the console knows. */
export const typeId = (value: string | null | undefined): TypeId | null =>
  value && (TYPE_IDS as readonly string[]).includes(value) ? (value as TypeId) : null;

export const classifyApi = {
  list: () => GET('/api/v1/classification/datasets'),
  view: (code: string) => GET('/api/v1/datasets/{code}/classification', { path: { code } }),
  /** The first rows, masked as the review shows values (audited). */
  preview: (code: string, limit = 10) => GET('/api/v1/datasets/{code}/preview', { path: { code }, query: { limit } }),
  review: (code: string, body: ReviewInput) => PUT('/api/v1/datasets/{code}/classification', { path: { code }, body }),
  candidates: (all = false) => GET('/api/v1/classification/candidates', { query: all ? { all: 'true' } : {} }),
  decide: (code: string, body: BodyOf<'/api/v1/classification/candidates/{code}/decision', 'post'>) =>
    POST('/api/v1/classification/candidates/{code}/decision', { path: { code }, body }),
  policy: () => GET('/api/v1/classification/policy'),
  savePolicy: (policy: PolicyInput) => PUT('/api/v1/classification/policy', { body: policy }),
};
