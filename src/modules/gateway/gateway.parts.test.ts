/** The pure parts of the gateway: OpenAPI import, path matching, response rewriting, audited parameters. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { rewrite, valuesByPath } from './fields.ts';
import type { OperationRow } from './gateway.repo.ts';
import { auditedParameter, callSegments, checkBaseUrl, fieldColumns, matchOperation } from './gateway.service.ts';
import { parseOpenApi } from './openapi.ts';

const doc = {
  openapi: '3.1.0',
  info: { title: '参保查询', description: '省人社厅' },
  paths: {
    '/persons/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true }],
      get: {
        operationId: 'getPerson',
        parameters: [{ $ref: '#/components/parameters/Year' }],
        responses: { '200': { content: { 'application/json; charset=utf-8': { schema: { $ref: '#/components/schemas/Person' } } } } },
      },
    },
    '/persons/search': {
      post: { responses: { '201': { content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Person' } } } } } } },
    },
  },
  components: {
    parameters: { Year: { name: 'year', in: 'query' } },
    schemas: {
      Person: {
        type: 'object',
        properties: {
          name: { type: 'string', title: '姓名' },
          insured: { type: 'boolean' },
          since: { type: 'string', format: 'date' },
          // A cycle: the walk stops at the second visit.
          spouse: { $ref: '#/components/schemas/Person' },
          history: { type: 'array', items: { type: 'object', properties: { year: { type: 'integer' } } } },
        },
      },
    },
  },
};

describe('OpenAPI import', () => {
  it('reads the same operations from JSON and YAML, with $refs, path-level parameters and array fields', () => {
    const fromJson = parseOpenApi(JSON.stringify(doc));
    const fromYaml = parseOpenApi(stringify(doc));
    expect(fromYaml).toEqual(fromJson);
    expect(fromJson.title).toBe('参保查询');
    const [get, search] = fromJson.operations;
    expect(get).toMatchObject({ id: 'getPerson', method: 'GET', path: '/persons/{id}' });
    expect(get!.parameters).toEqual([
      { name: 'id', in: 'path', required: true, description: '' },
      { name: 'year', in: 'query', required: false, description: '' },
    ]);
    expect(get!.fields).toEqual([
      { path: 'name', label: '姓名', dataType: 'text' },
      { path: 'insured', label: 'insured', dataType: 'boolean' },
      { path: 'since', label: 'since', dataType: 'date' },
      { path: 'history[].year', label: 'year', dataType: 'integer' },
    ]);
    expect(search).toMatchObject({ id: 'post_persons_search', method: 'POST' });
    expect(search!.fields.map((f) => f.path)).toEqual(['[].name', '[].insured', '[].since', '[].history[].year']);
  });

  it('refuses what is not an OpenAPI 3 document, and path templates that traverse', () => {
    expect(() => parseOpenApi('swagger: "2.0"\npaths: {}')).toThrow(/OpenAPI 3/);
    expect(() => parseOpenApi('a: [')).toThrow(/cannot be parsed/);
    const bad = { ...doc, paths: { '/a/../b': { get: { responses: {} } } } };
    expect(() => parseOpenApi(JSON.stringify(bad))).toThrow(/invalid path segment/);
  });
});

describe('call paths', () => {
  const op = (op_id: string, path: string): OperationRow => ({
    dataset_id: 'd',
    op_id,
    method: 'GET',
    path,
    summary: '',
    parameters: [],
    fields: [],
    position: 1,
  });
  it('matches templates, literal segments first, and decodes parameters', () => {
    const ops = [op('byId', '/persons/{id}'), op('search', '/persons/search'), op('root', '/')];
    expect(matchOperation(ops, callSegments('/persons/search'))?.op.op_id).toBe('search');
    expect(matchOperation(ops, callSegments('/persons/%E5%BC%A0%E4%B8%89'))).toMatchObject({ op: { op_id: 'byId' }, params: { id: '张三' } });
    expect(matchOperation(ops, callSegments('/'))?.op.op_id).toBe('root');
    expect(matchOperation(ops, callSegments('/persons/1/x'))).toBeUndefined();
  });
  it('refuses traversal, empty segments and encoded separators', () => {
    for (const p of ['/a/../b', '/a/./b', '/a//b', '/a/%2F', '/a/%5C', '/a/%2e%2e', '/a/%ZZ']) expect(() => callSegments(p), p).toThrow();
  });
  it('keeps base URLs to http(s) without credentials, query or fragment', () => {
    expect(checkBaseUrl('https://api.example.gov.cn/v1/')).toBe('https://api.example.gov.cn/v1');
    for (const u of ['ftp://x', 'http://u:p@x', 'http://x/?a=1', 'http://x/#f', 'not a url']) expect(() => checkBaseUrl(u), u).toThrow();
  });
});

describe('responses and parameters', () => {
  it('rewrites granted fields, removes everything else, keeps arrays in place', () => {
    const body = { code: 0, data: { name: '张三', id: '110101199003077777', items: [{ n: 1, secret: 'x' }, { n: 2 }], extra: { a: 1 } } };
    const granted = new Map<string, (v: string | number | boolean | null) => string | number | boolean | null>([
      ['data.name', (v) => `[${String(v)}]`],
      ['data.items[].n', (v) => v],
    ]);
    expect(rewrite(body, granted)).toEqual({ body: { data: { name: '[张三]', items: [{ n: 1 }, { n: 2 }] } }, fields: 3 });
    expect(rewrite([{ a: 1 }], new Map())).toEqual({ body: {}, fields: 0 });
    // An ungranted container is gone whether it was empty or not: its presence would tell which.
    const named = new Map([['name', (v: string | number | boolean | null) => v]]);
    expect(rewrite({ name: '张三', criminalRecords: [] }, named).body).toEqual({ name: '张三' });
    expect(rewrite({ name: '张三', criminalRecords: [{ court: 'x' }] }, named).body).toEqual({ name: '张三' });
    expect(rewrite({ name: '张三', history: [{}, {}], extra: {} }, named).body).toEqual({ name: '张三' });
    // A granted list that is empty upstream stays an empty list.
    expect(rewrite({ data: { items: [] } }, granted).body).toEqual({ data: { items: [] } });
    expect([...valuesByPath(body).keys()]).toEqual(['code', 'data.name', 'data.id', 'data.items[].n', 'data.items[].secret', 'data.extra.a']);
  });
  it('masks recognised personal values of parameters for the audit log', () => {
    expect(auditedParameter('id', '11010519491231002X')).toBe('110***********002X');
    expect(auditedParameter('phone', '13812345678')).not.toBe('13812345678');
    expect(auditedParameter('year', '2024')).toBe('2024');
  });
});

describe('fields registered without a sample response', () => {
  it('are typed and graded from their label, so masking keeps the surname and the ends of a number', async () => {
    const fields = [
      { path: 'data.legalPerson.name', label: '法定代表人姓名', dataType: 'text' as const },
      { path: 'data.legalPerson.mobile', label: '联系电话', dataType: 'text' as const },
      { path: 'data.capital', label: '注册资本', dataType: 'integer' as const },
    ];
    const [name, mobile, capital] = await fieldColumns(fields, new Map());
    expect(name!.classification.types.map((t) => t.type)).toEqual(['person_name']);
    expect(name!.grade).toBe(3);
    expect(mobile!.classification.types.map((t) => t.type)).toEqual(['cn_mobile']);
    expect(capital!.classification.types).toEqual([]);
    expect(capital!.grade).toBe(2);
  });

  it('keep what their sample values show over the label', async () => {
    const [f] = await fieldColumns([{ path: 'contact', label: '联系电话', dataType: 'text' }], new Map([['contact', ['024-23456789', '0421-2345678']]]));
    expect(f!.classification.types[0]!.type).toBe('cn_landline');
  });
});
