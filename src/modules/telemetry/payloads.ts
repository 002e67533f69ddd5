/**
 * Payload parsers: JSON (one sample, an instant with several points, or a batch of either), NDJSON,
 * CSV and the InfluxDB line protocol, all turned into the same list of samples. A payload is parsed
 * whole before anything is stored: one bad line rejects the payload (never a half batch), and the
 * error names the line and the reason.
 *
 * The line-protocol parser is written here: the npm packages that parse it are unmaintained, and the
 * grammar is small (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/).
 */
import { parse as parseCsv } from 'csv-parse/sync';

/** One value of one point, before the registry is consulted. */
export interface RawSample {
  /** Point code within the device. */
  point: string;
  /** Microseconds since the epoch; undefined = the time the payload was received. */
  tsUs?: number;
  value: number;
  /** Unit the sender claims, when it says one. */
  unit?: string;
}

/** Why a payload is refused; counted per device and reason (ingestion status). */
export const REJECT_REASONS = [
  'malformed',
  'invalid_value',
  'invalid_timestamp',
  'unsupported_type',
  'too_many_points',
  'timestamp_out_of_range',
  'device_mismatch',
  'unit_mismatch',
  'unknown_point',
  'rate_limited',
  'unauthorized_topic',
  'overloaded',
  'bad_credentials',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** A refused payload: the reason (stable code), the line (1-based) when known, and what was wrong. */
export class PayloadError extends Error {
  constructor(
    readonly reason: RejectReason,
    readonly detail: string,
    readonly line?: number,
  ) {
    super(line === undefined ? detail : `line ${line}: ${detail}`);
  }
}

export type Precision = 'ns' | 'us' | 'ms' | 's';
const POINT_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

function checkPoint(code: string, line?: number): string {
  if (!POINT_CODE.test(code)) throw new PayloadError('malformed', `point code ${JSON.stringify(code.slice(0, 80))} must be 1-64 of A-Z a-z 0-9 _ . -`, line);
  return code;
}

/** Microseconds of an ISO 8601 text (with zone) or of epoch milliseconds. */
export function timestampUs(value: unknown, line?: number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PayloadError('invalid_timestamp', 'timestamp is not a finite number', line);
    return Math.round(value * 1000);
  }
  if (typeof value === 'string') {
    const m = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/.exec(value.trim());
    if (m) {
      const ms = Date.parse(`${m[1]!.replace(' ', 'T')}${m[3] === 'Z' ? 'Z' : m[3]!.length === 5 ? `${m[3]!.slice(0, 3)}:${m[3]!.slice(3)}` : m[3]}`);
      if (!Number.isNaN(ms)) return ms * 1000 + Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
    }
  }
  throw new PayloadError(
    'invalid_timestamp',
    `timestamp ${JSON.stringify(String(value).slice(0, 40))} is neither ISO 8601 with a zone nor epoch milliseconds`,
    line,
  );
}

function numericValue(value: unknown, point: string, line?: number): number {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw new PayloadError('invalid_value', `value of ${point} must be a finite number or a boolean`, line);
}

/**
 * JSON forms, alone, in an array or under "points"/"samples":
 *   {"point":"temp","value":21.5,"ts":"2026-12-01T08:00:00Z","unit":"°C"}
 *   {"ts":1764576000000,"values":{"temp":21.5,"rpm":1480}}
 */
function jsonSamples(item: unknown, out: RawSample[], line?: number): void {
  if (Array.isArray(item)) {
    for (const x of item) jsonSamples(x, out, line);
    return;
  }
  if (typeof item !== 'object' || item === null) throw new PayloadError('malformed', 'expected an object or an array of objects', line);
  const o = item as Record<string, unknown>;
  if (Array.isArray(o.points) || Array.isArray(o.samples)) {
    jsonSamples(o.points ?? o.samples, out, line);
    return;
  }
  const tsUs = o.ts === undefined || o.ts === null ? undefined : timestampUs(o.ts, line);
  const unit = typeof o.unit === 'string' ? o.unit : undefined;
  if (o.values !== undefined) {
    if (typeof o.values !== 'object' || o.values === null || Array.isArray(o.values))
      throw new PayloadError('malformed', '"values" must be an object of point: value', line);
    const units = typeof o.units === 'object' && o.units !== null ? (o.units as Record<string, unknown>) : {};
    for (const [point, value] of Object.entries(o.values as Record<string, unknown>)) {
      const u = typeof units[point] === 'string' ? (units[point] as string) : undefined;
      out.push({ point: checkPoint(point, line), value: numericValue(value, point, line), ...(tsUs === undefined ? {} : { tsUs }), ...(u ? { unit: u } : {}) });
    }
    return;
  }
  const point = o.point ?? o.p;
  if (typeof point !== 'string') throw new PayloadError('malformed', 'a sample needs "point" (or "values")', line);
  out.push({
    point: checkPoint(point, line),
    value: numericValue(o.value ?? o.v, point, line),
    ...(tsUs === undefined ? {} : { tsUs }),
    ...(unit ? { unit } : {}),
  });
}

function limit(out: RawSample[], max: number): RawSample[] {
  if (out.length > max) throw new PayloadError('too_many_points', `more than ${max} samples in one payload`);
  return out;
}

export function parseJson(text: string, max: number): RawSample[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new PayloadError('malformed', `not JSON: ${(error as Error).message}`);
  }
  const out: RawSample[] = [];
  jsonSamples(value, out);
  return limit(out, max);
}

export function parseNdjson(text: string, max: number): RawSample[] {
  const out: RawSample[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new PayloadError('malformed', 'not a JSON object', i + 1);
    }
    jsonSamples(value, out, i + 1);
    if (out.length > max) throw new PayloadError('too_many_points', `more than ${max} samples in one payload`, i + 1);
  });
  return out;
}

/** CSV with a header naming `point`, `value` and optionally `ts` and `unit` (any order). */
export function parseCsvPayload(text: string, max: number): RawSample[] {
  let rows: string[][];
  try {
    rows = parseCsv(text, { skip_empty_lines: true, trim: true, bom: true, relax_column_count: false }) as string[][];
  } catch (error) {
    const line = (error as { lines?: number }).lines;
    throw new PayloadError('malformed', `not CSV: ${(error as Error).message}`, line);
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const [pi, vi, ti, ui] = [col('point'), col('value'), col('ts'), col('unit')];
  if (pi < 0 || vi < 0) throw new PayloadError('malformed', 'the CSV header must name the columns point and value (ts and unit optional)', 1);
  const out: RawSample[] = [];
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r]!;
    const line = r + 1;
    const point = checkPoint(row[pi] ?? '', line);
    const text = row[vi] ?? '';
    const value = text === 'true' ? 1 : text === 'false' ? 0 : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : NaN;
    if (!Number.isFinite(value)) throw new PayloadError('invalid_value', `value ${JSON.stringify(text.slice(0, 40))} of ${point} is not a number`, line);
    const ts = ti >= 0 && row[ti] ? (/^\d+$/.test(row[ti]!) ? timestampUs(Number(row[ti]), line) : timestampUs(row[ti], line)) : undefined;
    const unit = ui >= 0 && row[ui] ? row[ui] : undefined;
    out.push({ point, value, ...(ts === undefined ? {} : { tsUs: ts }), ...(unit ? { unit } : {}) });
    if (out.length > max) throw new PayloadError('too_many_points', `more than ${max} samples in one payload`, line);
  }
  return out;
}

// ---- InfluxDB line protocol -------------------------------------------------------------------

/** One parsed line: measurement, tags, fields with their types, timestamp text. */
export interface LineProtocolRecord {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, { type: 'float' | 'integer' | 'unsigned' | 'boolean' | 'string'; value: number | boolean | string }>;
  /** The timestamp digits as written (precision applies), or undefined. */
  timestamp?: bigint;
}

/**
 * Reads an unescaped token up to one of `stops`; a backslash escapes the characters the grammar
 * lets it escape in this position (`escapable`) and is literal otherwise.
 */
function readToken(s: string, start: number, stops: string, escapable: string): [string, number] {
  let out = '';
  let i = start;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && escapable.includes(s[i + 1]!)) {
      out += s[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(c)) break;
    out += c;
    i++;
  }
  return [out, i];
}

const BOOLEANS: Record<string, boolean> = {
  t: true,
  T: true,
  true: true,
  True: true,
  TRUE: true,
  f: false,
  F: false,
  false: false,
  False: false,
  FALSE: false,
};

/** Parses one line of line protocol (no newline); throws PayloadError naming the line. */
export function parseLine(s: string, lineNo: number): LineProtocolRecord {
  const fail = (detail: string): never => {
    throw new PayloadError('malformed', detail, lineNo);
  };
  // Measurement: commas and spaces escaped.
  let [measurement, i] = readToken(s, 0, ', ', ', \\');
  if (!measurement) fail('missing measurement');
  const tags: Record<string, string> = {};
  while (s[i] === ',') {
    const [key, j] = readToken(s, i + 1, ',= ', ',= \\');
    if (s[j] !== '=' || !key) fail(`malformed tag near column ${i + 1}`);
    const [value, k] = readToken(s, j + 1, ', ', ',= \\');
    if (!value) fail(`empty value of tag ${key}`);
    tags[key] = value;
    i = k;
  }
  if (s[i] !== ' ') fail('expected a space before the fields');
  while (s[i] === ' ') i++;
  const fields: LineProtocolRecord['fields'] = {};
  for (;;) {
    const [key, j] = readToken(s, i, ',= ', ',= \\');
    if (!key || s[j] !== '=') fail(`malformed field near column ${i + 1}`);
    let k = j + 1;
    if (s[k] === '"') {
      // String field: only " and \ are escaped inside.
      let value = '';
      k++;
      for (;;) {
        if (k >= s.length) fail(`unterminated string in field ${key}`);
        const c = s[k]!;
        if (c === '\\' && (s[k + 1] === '"' || s[k + 1] === '\\')) {
          value += s[k + 1];
          k += 2;
          continue;
        }
        if (c === '"') {
          k++;
          break;
        }
        value += c;
        k++;
      }
      fields[key] = { type: 'string', value };
    } else {
      let end = k;
      while (end < s.length && s[end] !== ',' && s[end] !== ' ') end++;
      const text = s.slice(k, end);
      k = end;
      if (/^[+-]?\d+i$/.test(text)) fields[key] = { type: 'integer', value: Number(text.slice(0, -1)) };
      else if (/^\d+u$/.test(text)) fields[key] = { type: 'unsigned', value: Number(text.slice(0, -1)) };
      else if (text in BOOLEANS) fields[key] = { type: 'boolean', value: BOOLEANS[text]! };
      else if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) fields[key] = { type: 'float', value: Number(text) };
      else fail(`invalid value ${JSON.stringify(text.slice(0, 40))} of field ${key}`);
    }
    i = k;
    if (s[i] === ',') {
      i++;
      continue;
    }
    break;
  }
  let timestamp: bigint | undefined;
  if (s[i] === ' ') {
    while (s[i] === ' ') i++;
    const rest = s.slice(i).trimEnd();
    if (rest) {
      if (!/^-?\d{1,19}$/.test(rest)) fail(`invalid timestamp ${JSON.stringify(rest.slice(0, 40))}`);
      timestamp = BigInt(rest);
    }
  } else if (i < s.length) fail(`unexpected ${JSON.stringify(s[i])} at column ${i + 1}`);
  return { measurement, tags, fields, ...(timestamp === undefined ? {} : { timestamp }) };
}

const PER_US: Record<Precision, bigint> = { ns: 1000n, us: 1n, ms: 1n, s: 1n };
const US_PER: Record<Precision, bigint> = { ns: 1n, us: 1n, ms: 1000n, s: 1_000_000n };

/** A line-protocol timestamp at the given precision, in microseconds (sub-microsecond truncated). */
export function lineTimestampUs(ts: bigint, precision: Precision): number {
  return Number(precision === 'ns' ? ts / PER_US.ns : ts * US_PER[precision]);
}

/**
 * Line protocol → samples of one device. Each field is a point: its code is the field key when the
 * measurement is the device's code or `telemetry`, else `measurement.field`. A `unit` tag claims
 * the unit; a `device` tag, if present, must be the device's code.
 */
export function parseLineProtocol(text: string, options: { precision: Precision; deviceCode: string; max: number }): RawSample[] {
  const out: RawSample[] = [];
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (!line.trim() || line.trimStart().startsWith('#')) continue;
    const record = parseLine(line, n + 1);
    if (record.tags.device !== undefined && record.tags.device !== options.deviceCode) {
      throw new PayloadError('device_mismatch', `tag device=${record.tags.device} is not this token's device ${options.deviceCode}`, n + 1);
    }
    const prefix = record.measurement === options.deviceCode || record.measurement === 'telemetry' ? '' : `${record.measurement}.`;
    const tsUs = record.timestamp === undefined ? undefined : lineTimestampUs(record.timestamp, options.precision);
    for (const [key, field] of Object.entries(record.fields)) {
      if (field.type === 'string') throw new PayloadError('unsupported_type', `field ${key} is a string; points hold numbers and booleans`, n + 1);
      const value = typeof field.value === 'boolean' ? (field.value ? 1 : 0) : (field.value as number);
      out.push({
        point: checkPoint(`${prefix}${key}`, n + 1),
        value,
        ...(tsUs === undefined ? {} : { tsUs }),
        ...(record.tags.unit ? { unit: record.tags.unit } : {}),
      });
    }
    if (out.length > options.max) throw new PayloadError('too_many_points', `more than ${options.max} samples in one payload`, n + 1);
  }
  return out;
}

/** MQTT payloads: JSON when it starts with { or [, else line protocol (nanosecond timestamps). */
export function parseMqttPayload(payload: Buffer, deviceCode: string, max: number): RawSample[] {
  const text = payload.toString('utf8');
  const first = text.trimStart()[0];
  return first === '{' || first === '[' ? parseJson(text, max) : parseLineProtocol(text, { precision: 'ns', deviceCode, max });
}

/** Microseconds → ISO 8601 with microseconds (what COPY writes into timestamptz). */
export function isoMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const rest = us - ms * 1000;
  const iso = new Date(ms).toISOString();
  return rest === 0 ? iso : `${iso.slice(0, -1)}${String(rest).padStart(3, '0')}Z`;
}
