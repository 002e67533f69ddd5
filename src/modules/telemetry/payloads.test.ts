import { describe, expect, it } from 'vitest';
import { isoMicros, lineTimestampUs, parseCsvPayload, parseJson, parseLine, parseLineProtocol, parseNdjson, PayloadError, timestampUs } from './payloads.ts';

function refused(fn: () => unknown): PayloadError {
  try {
    fn();
  } catch (error) {
    if (error instanceof PayloadError) return error;
    throw error;
  }
  throw new Error('expected a PayloadError');
}

describe('InfluxDB line protocol', () => {
  it('reads measurement, tags, typed fields and a timestamp', () => {
    expect(parseLine('furnace,line=BF1,unit=°C temp=1180.5,count=3i,hits=7u,ok=t,label="hot" 1764576000000000000', 1)).toEqual({
      measurement: 'furnace',
      tags: { line: 'BF1', unit: '°C' },
      fields: {
        temp: { type: 'float', value: 1180.5 },
        count: { type: 'integer', value: 3 },
        hits: { type: 'unsigned', value: 7 },
        ok: { type: 'boolean', value: true },
        label: { type: 'string', value: 'hot' },
      },
      timestamp: 1764576000000000000n,
    });
  });

  it('unescapes commas, spaces and equals signs where the grammar allows, and quotes in strings', () => {
    const r = parseLine('my\\ meas\\,ure,tag\\ key=a\\=b\\,c field\\=x=1,s="say \\"hi\\" \\\\ ok"', 3);
    expect(r.measurement).toBe('my meas,ure');
    expect(r.tags).toEqual({ 'tag key': 'a=b,c' });
    expect(r.fields['field=x']).toEqual({ type: 'float', value: 1 });
    expect(r.fields.s).toEqual({ type: 'string', value: 'say "hi" \\ ok' });
    expect(r.timestamp).toBeUndefined();
  });

  it('accepts every spelling of booleans, exponents and negative numbers', () => {
    const r = parseLine('m a=T,b=FALSE,c=False,d=-1.5e3,e=-7i,f=.5', 1);
    expect(Object.fromEntries(Object.entries(r.fields).map(([k, v]) => [k, v.value]))).toEqual({ a: true, b: false, c: false, d: -1500, e: -7, f: 0.5 });
  });

  it('names the line of every malformed input', () => {
    for (const [line, text] of [
      ['m', 'no fields'],
      ['m,tag temp=1', 'tag without a value'],
      ['m temp=', 'empty value'],
      ['m temp=abc', 'bare word'],
      ['m temp="open', 'unterminated string'],
      ['m temp=1 12x', 'bad timestamp'],
      [',t=1 v=1', 'no measurement'],
    ] as const) {
      const e = refused(() => parseLine(line, 9));
      expect(e.reason, text).toBe('malformed');
      expect(e.line, text).toBe(9);
    }
  });

  it('converts timestamps at each precision to microseconds', () => {
    expect(lineTimestampUs(1764576000123456789n, 'ns')).toBe(1764576000123456);
    expect(lineTimestampUs(1764576000123456n, 'us')).toBe(1764576000123456);
    expect(lineTimestampUs(1764576000123n, 'ms')).toBe(1764576000123000);
    expect(lineTimestampUs(1764576000n, 's')).toBe(1764576000000000);
    expect(isoMicros(1764576000123456)).toBe('2025-12-01T08:00:00.123456Z');
    expect(isoMicros(1764576000123000)).toBe('2025-12-01T08:00:00.123Z');
  });

  it('maps fields to points: plain when the measurement is the device, prefixed otherwise; refuses strings and other devices', () => {
    const text = [
      '# comment',
      '',
      'BF1-D01,unit=°C temp=1180 1764576000000000000',
      'modbus pressure=320i 1764576001000000000',
      'telemetry,device=BF1-D01 running=true',
    ].join('\n');
    const samples = parseLineProtocol(text, { precision: 'ns', deviceCode: 'BF1-D01', max: 100 });
    expect(samples).toEqual([
      { point: 'temp', value: 1180, tsUs: 1764576000000000, unit: '°C' },
      { point: 'modbus.pressure', value: 320, tsUs: 1764576001000000 },
      { point: 'running', value: 1 },
    ]);
    expect(refused(() => parseLineProtocol('m s="x"', { precision: 'ns', deviceCode: 'D', max: 10 })).reason).toBe('unsupported_type');
    const other = refused(() => parseLineProtocol('m v=1\nm,device=OTHER v=2', { precision: 'ns', deviceCode: 'D', max: 10 }));
    expect(other).toMatchObject({ reason: 'device_mismatch', line: 2 });
    expect(refused(() => parseLineProtocol('m a=1,b=2,c=3', { precision: 'ns', deviceCode: 'D', max: 2 })).reason).toBe('too_many_points');
  });
});

describe('JSON, NDJSON and CSV payloads', () => {
  it('reads one sample, an instant with several points, arrays and {"points": [...]}', () => {
    expect(parseJson('{"point":"temp","value":21.5,"ts":"2026-12-01T08:00:00.5Z","unit":"°C"}', 10)).toEqual([
      { point: 'temp', value: 21.5, tsUs: Date.parse('2026-12-01T08:00:00.5Z') * 1000, unit: '°C' },
    ]);
    expect(parseJson('{"ts":1764576000000,"values":{"temp":21.5,"on":true}}', 10)).toEqual([
      { point: 'temp', value: 21.5, tsUs: 1764576000000000 },
      { point: 'on', value: 1, tsUs: 1764576000000000 },
    ]);
    expect(parseJson('{"points":[{"p":"a","v":1},{"point":"b","value":2}]}', 10).map((s) => s.point)).toEqual(['a', 'b']);
  });

  it('refuses non-numbers, bad timestamps, bad point codes and broken JSON with a reason', () => {
    expect(refused(() => parseJson('{"point":"temp","value":"hot"}', 10)).reason).toBe('invalid_value');
    expect(refused(() => parseJson('{"point":"temp","value":1,"ts":"yesterday"}', 10)).reason).toBe('invalid_timestamp');
    expect(refused(() => parseJson('{"point":"te mp","value":1}', 10)).reason).toBe('malformed');
    expect(refused(() => parseJson('{"point":', 10)).reason).toBe('malformed');
    expect(refused(() => parseJson('{"point":"a","value":null}', 10)).reason).toBe('invalid_value');
  });

  it('names the NDJSON and CSV line of a bad record', () => {
    expect(parseNdjson('{"point":"a","value":1}\n\n{"ts":1764576000000,"values":{"b":2}}\n', 10)).toHaveLength(2);
    expect(refused(() => parseNdjson('{"point":"a","value":1}\n{"point":"a","value":"x"}', 10))).toMatchObject({ reason: 'invalid_value', line: 2 });
    expect(parseCsvPayload('ts,point,value,unit\n2026-12-01T08:00:00Z,temp,21.5,°C\n1764576000000,on,true,', 10)).toEqual([
      { point: 'temp', value: 21.5, tsUs: Date.parse('2026-12-01T08:00:00Z') * 1000, unit: '°C' },
      { point: 'on', value: 1, tsUs: 1764576000000000 },
    ]);
    expect(refused(() => parseCsvPayload('point,value\ntemp,1\ntemp,abc', 10))).toMatchObject({ reason: 'invalid_value', line: 3 });
    expect(refused(() => parseCsvPayload('name,value\ntemp,1', 10)).line).toBe(1);
  });

  it('reads ISO timestamps with zones and microseconds', () => {
    expect(timestampUs('2026-12-01T16:00:00.123456+08:00')).toBe(Date.parse('2026-12-01T08:00:00Z') * 1000 + 123456);
    expect(timestampUs('2026-12-01 08:00:00Z')).toBe(Date.parse('2026-12-01T08:00:00Z') * 1000);
    expect(refused(() => timestampUs('2026-12-01T08:00:00')).reason).toBe('invalid_timestamp');
  });
});
