/**
 * Operations of an interface: entered by hand or read from an OpenAPI 3 document (JSON or YAML, via
 * the `yaml` library). Each operation keeps its method, path template, path and query parameters and
 * the JSON paths of its response fields (`data.legalPerson.idNumber`, arrays as `items[].name`):
 * those paths are the interface's 信息项.
 */
import { parse as parseYaml } from 'yaml';
import { BadRequestError } from '../../errors.ts';
import type { DataType } from '../catalog/catalog.service.ts';

export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type Method = (typeof METHODS)[number];

export interface ParameterSpec {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description: string;
}

export interface FieldSpec {
  /** JSON path: keys joined by '.', array items as '[]'. */
  path: string;
  label: string;
  dataType: DataType;
}

export interface OperationSpec {
  id: string;
  method: Method;
  path: string;
  summary: string;
  parameters: ParameterSpec[];
  fields: FieldSpec[];
}

/** Largest OpenAPI document read (characters). */
export const MAX_DOCUMENT_CHARS = 2_000_000;
const MAX_DEPTH = 16;
const OP_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** A literal path segment (unreserved characters) or a `{parameter}`. */
const SEGMENT = /^(?:[A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]{0,63}\})$/;
const FIELD_PATH = /^(?:\[\]|[^.[\]\s]{1,64}(?:\[\])*)(?:\.[^.[\]\s]{1,64}(?:\[\])*)*$/;

function invalid(field: string, zh: string, en: string): BadRequestError {
  return new BadRequestError('invalid_operation', { zh: `${field}：${zh}`, en: `${field}: ${en}` }, { field });
}

/** Checks one operation (hand-entered or imported); errors name the operation and the field. */
export function checkOperation(op: OperationSpec, where: string): OperationSpec {
  if (!OP_ID.test(op.id)) throw invalid(`${where}.id`, '操作编号只能含字母、数字、_ . -，最长 64', 'an operation id is letters, digits, _ . - (at most 64)');
  if (!op.path.startsWith('/') || op.path.length > 512) throw invalid(`${where}.path`, '路径须以 / 开头', 'the path must start with /');
  const segments = op.path.split('/').slice(1);
  const names = new Set<string>();
  for (const s of segments) {
    if (s === '' && segments.length === 1) continue;
    if (!SEGMENT.test(s) || s === '.' || s === '..') throw invalid(`${where}.path`, `路径段 ${s || '（空）'} 无效`, `invalid path segment ${s || '(empty)'}`);
    if (s.startsWith('{')) names.add(s.slice(1, -1));
  }
  for (const name of names) {
    if (!op.parameters.some((p) => p.in === 'path' && p.name === name)) op.parameters.push({ name, in: 'path', required: true, description: '' });
  }
  for (const p of op.parameters) {
    if (p.in === 'path' && !names.has(p.name))
      throw invalid(`${where}.parameters`, `路径参数 ${p.name} 不在路径中`, `path parameter ${p.name} is not in the path`);
    if (p.in === 'path') p.required = true;
  }
  for (const f of op.fields)
    if (!FIELD_PATH.test(f.path)) throw invalid(`${where}.fields`, `响应字段路径 ${f.path} 无效`, `invalid response field path ${f.path}`);
  return op;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

function dataTypeOf(schema: Json): DataType {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'integer') return 'integer';
  if (type === 'number') return 'decimal';
  if (type === 'boolean') return 'boolean';
  if (type === 'string' && schema.format === 'date') return 'date';
  if (type === 'string' && schema.format === 'date-time') return 'timestamp';
  return 'text';
}

/** Parses an OpenAPI 3 document (JSON or YAML) into operations. */
export function parseOpenApi(source: string): { title: string; description: string; servers: string[]; operations: OperationSpec[] } {
  if (source.length > MAX_DOCUMENT_CHARS)
    throw new BadRequestError('openapi_too_large', { zh: 'OpenAPI 文档过大', en: 'The OpenAPI document is too large' }, { field: 'openapi' });
  let doc: unknown;
  try {
    doc = source.trimStart().startsWith('{') ? JSON.parse(source) : parseYaml(source, { maxAliasCount: 50 });
  } catch (error) {
    const line = (error as { linePos?: { line: number }[] }).linePos?.[0]?.line;
    throw new BadRequestError(
      'invalid_openapi',
      { zh: `OpenAPI 文档无法解析${line ? `（第 ${line} 行）` : ''}`, en: `The OpenAPI document cannot be parsed${line ? ` (line ${line})` : ''}` },
      { field: 'openapi', ...(line ? { line } : {}) },
    );
  }
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !doc.openapi.startsWith('3.') || !isObject(doc.paths)) {
    throw new BadRequestError(
      'invalid_openapi',
      { zh: '不是 OpenAPI 3 文档（缺少 openapi: 3.x 或 paths）', en: 'Not an OpenAPI 3 document (openapi: 3.x or paths missing)' },
      { field: 'openapi' },
    );
  }
  const root = doc;
  const resolve = (v: unknown, seen: ReadonlySet<string>): [Json | undefined, Set<string>] => {
    if (!isObject(v)) return [undefined, new Set(seen)];
    const ref = v.$ref;
    if (typeof ref !== 'string') return [v, new Set(seen)];
    // Local references only; a cycle ends the walk at the second visit.
    if (!ref.startsWith('#/') || seen.has(ref)) return [undefined, new Set(seen)];
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = isObject(node) ? node[part.replaceAll('~1', '/').replaceAll('~0', '~')] : undefined;
    const next = new Set(seen).add(ref);
    return resolve(node, next);
  };

  function walk(schemaIn: unknown, prefix: string, seen: ReadonlySet<string>, depth: number, out: Map<string, FieldSpec>): void {
    if (depth > MAX_DEPTH) return;
    const [schema, refs] = resolve(schemaIn, seen);
    if (!schema) return;
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const) {
      const list = schema[key];
      if (Array.isArray(list)) for (const s of list) walk(s, prefix, refs, depth + 1, out);
    }
    if (isObject(schema.properties)) {
      for (const [name, sub] of Object.entries(schema.properties)) walk(sub, prefix ? `${prefix}.${name}` : name, refs, depth + 1, out);
      return;
    }
    if (schema.type === 'array' || schema.items !== undefined) {
      walk(schema.items, `${prefix}[]`, refs, depth + 1, out);
      return;
    }
    if (schema.allOf || schema.oneOf || schema.anyOf || prefix === '' || schema.type === 'object') return;
    const last = prefix.replace(/\[\]/g, '').split('.').pop() ?? prefix;
    if (!out.has(prefix))
      out.set(prefix, { path: prefix, label: text(schema.title) || text(schema.description).slice(0, 64) || last, dataType: dataTypeOf(schema) });
  }

  const operations: OperationSpec[] = [];
  for (const [path, itemIn] of Object.entries(root.paths as Json)) {
    const [item] = resolve(itemIn, new Set());
    if (!item) continue;
    for (const method of METHODS) {
      const [op] = resolve(item[method.toLowerCase()], new Set());
      if (!op) continue;
      const where = `openapi.paths.${path}.${method.toLowerCase()}`;
      const id = text(op.operationId) || `${method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+/g, '_')}`.slice(0, 64);
      const parameters: ParameterSpec[] = [];
      for (const pIn of [...(Array.isArray(item.parameters) ? item.parameters : []), ...(Array.isArray(op.parameters) ? op.parameters : [])]) {
        const [p] = resolve(pIn, new Set());
        if (!p || (p.in !== 'path' && p.in !== 'query') || typeof p.name !== 'string') continue;
        const existing = parameters.findIndex((x) => x.name === p.name && x.in === p.in);
        const spec: ParameterSpec = { name: p.name, in: p.in, required: p.required === true || p.in === 'path', description: text(p.description) };
        if (existing >= 0) parameters[existing] = spec;
        else parameters.push(spec);
      }
      const responses = isObject(op.responses) ? op.responses : {};
      const key = ['200', '201'].find((k) => k in responses) ?? Object.keys(responses).find((k) => /^2\d\d$|^2XX$/i.test(k)) ?? 'default';
      const [response] = resolve(responses[key], new Set());
      const content = response && isObject(response.content) ? response.content : {};
      const media = Object.entries(content).find(([type]) => /json/i.test(type))?.[1];
      const fields = new Map<string, FieldSpec>();
      if (isObject(media)) walk(media.schema, '', new Set(), 0, fields);
      operations.push(
        checkOperation({ id, method, path, summary: text(op.summary) || text(op.description).slice(0, 200), parameters, fields: [...fields.values()] }, where),
      );
    }
  }
  if (operations.length === 0)
    throw new BadRequestError('invalid_openapi', { zh: 'OpenAPI 文档中没有操作', en: 'The OpenAPI document has no operations' }, { field: 'openapi' });
  const info = isObject(root.info) ? root.info : {};
  const servers = Array.isArray(root.servers) ? root.servers.map((s) => (isObject(s) ? text(s.url) : '')).filter(Boolean) : [];
  return { title: text(info.title), description: text(info.description), servers, operations };
}
