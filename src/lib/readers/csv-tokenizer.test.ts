import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, CsvTokenizer } from './csv-tokenizer.ts';

type Outcome = { records: [number, string[]][] } | { error: string };

/** Our tokenizer over the bytes cut into the given chunk sizes. */
function tokenize(bytes: Buffer, cuts: number[], delimiter = ',', quote: string | null = '"'): Outcome {
  const records: [number, string[]][] = [];
  const t = new CsvTokenizer({ delimiter, quote, maxRecordBytes: 1 << 20 }, (fields, line) => records.push([line, fields]));
  try {
    let at = 0;
    for (const size of cuts) {
      if (at >= bytes.length) break;
      t.write(bytes.subarray(at, at + size));
      at += size;
    }
    if (at < bytes.length) t.write(bytes.subarray(at));
    t.end();
  } catch (err) {
    if (err instanceof CsvSyntaxError) return { error: err.kind };
    throw err;
  }
  return { records };
}

/** csv-parse with the settings our tokenizer mirrors, lines converted to "where the record starts". */
function reference(bytes: Buffer, delimiter = ','): Outcome {
  try {
    const out = parse(bytes, {
      delimiter,
      record_delimiter: ['\r\n', '\n'],
      bom: true,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as {
      record: string[];
      info: { lines: number; empty_lines: number };
    }[];
    let lastEnd = 0;
    let lastEmpty = 0;
    return {
      records: out.map(({ record, info }) => {
        const line = lastEnd + 1 + (info.empty_lines - lastEmpty);
        lastEnd = info.lines;
        lastEmpty = info.empty_lines;
        return [line, record] as [number, string[]];
      }),
    };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'CSV_QUOTE_NOT_CLOSED') return { error: 'unclosed_quote' };
    if (code === 'INVALID_OPENING_QUOTE' || code === 'CSV_INVALID_CLOSING_QUOTE') return { error: 'bad_quote' };
    throw err;
  }
}

describe('CSV tokenizer', () => {
  it('splits quoted and unquoted records and gives the line each starts on', () => {
    const text = 'a,b\r\n"x, y","he said ""hi"""\n\n"multi\nline",2\n3,\n';
    expect(tokenize(Buffer.from(text), [5, 1, 7])).toEqual({
      records: [
        [1, ['a', 'b']],
        [2, ['x, y', 'he said "hi"']],
        [4, ['multi\nline', '2']],
        [6, ['3', '']],
      ],
    });
  });

  it('counts a CRLF inside a quoted value as one line', () => {
    expect(tokenize(Buffer.from('"a\r\nb"\r\nc\r\n'), [])).toEqual({
      records: [
        [1, ['a\r\nb']],
        [3, ['c']],
      ],
    });
  });

  it('reports unclosed and misplaced quotes with the record line and field', () => {
    const fail = (text: string) => {
      try {
        tokenize(Buffer.from(text), []);
      } catch (err) {
        return err;
      }
      const t = new CsvTokenizer({ delimiter: ',', quote: '"', maxRecordBytes: 1 << 20 }, () => undefined);
      try {
        t.write(Buffer.from(text));
        t.end();
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(fail('a,b\n1,"open\n2,3\n')).toMatchObject({ kind: 'unclosed_quote', line: 2, field: 1 });
    expect(fail('a,b\n1,x"y\n')).toMatchObject({ kind: 'bad_quote', line: 2, field: 1 });
    expect(fail('a,b\n"x"y,1\n')).toMatchObject({ kind: 'bad_quote', line: 2, field: 0 });
  });

  it('keeps quotes literal when quoting is off (plain TSV)', () => {
    expect(tokenize(Buffer.from('a\tb\n5" x\t"y\n'), [], '\t', null)).toEqual({
      records: [
        [1, ['a', 'b']],
        [2, ['5" x', '"y']],
      ],
    });
  });

  it('refuses a record larger than the bound', () => {
    const t = new CsvTokenizer({ delimiter: ',', quote: '"', maxRecordBytes: 100 }, () => undefined);
    t.write(Buffer.from('a\n"'));
    expect(() => t.write(Buffer.alloc(200, 'x'))).toThrow(CsvSyntaxError);
  });

  it('agrees with csv-parse on any input, however it is chunked (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '中', ',', '"', '\n', '\r\n', ' ', ';'), maxLength: 60 });
    const cuts = fc.array(fc.integer({ min: 1, max: 9 }), { maxLength: 30 });
    fc.assert(
      fc.property(text, cuts, fc.constantFrom(',', ';'), (t, c, d) => {
        const bytes = Buffer.from(t);
        const ours = tokenize(bytes, c, d);
        const theirs = reference(bytes, d);
        if (t.includes('\r')) {
          // csv-parse counts a CRLF inside quotes as two lines; compare the records, not the lines.
          const fieldsOnly = (o: Outcome) => ('records' in o ? o.records.map(([, r]) => r) : o);
          expect(fieldsOnly(ours)).toEqual(fieldsOnly(theirs));
        } else {
          expect(ours).toEqual(theirs);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
