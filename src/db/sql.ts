/**
 * The only place identifiers are turned into SQL text. Identifiers come from the catalogue (table
 * and column names pdx generated itself), never from request text; this check is the last guard.
 */
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Quotes a catalogue identifier, refusing anything that is not a plain lower-case name. */
export function ident(name: string): string {
  if (!IDENT.test(name)) throw new Error(`refused identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** Quotes a possibly schema-qualified table name (`schema.table`). */
export function tableIdent(name: string): string {
  return name.split('.').map(ident).join('.');
}

/** Encodes one value as a CSV field for COPY: NULL is an unquoted empty field, text is quoted. */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (value instanceof Date) text = value.toISOString();
  else if (value instanceof Uint8Array) text = `\\x${Buffer.from(value).toString('hex')}`;
  else if (typeof value === 'object') text = JSON.stringify(value);
  else text = String(value);
  return `"${text.replaceAll('"', '""')}"`;
}

/** Encodes one row as a CSV line for `COPY … FROM STDIN (FORMAT csv)`. */
export function csvLine(row: readonly unknown[]): string {
  return `${row.map(csvField).join(',')}\n`;
}

/** The COPY statement both backends use. */
export function copySql(table: string, columns: readonly string[], source: 'STDIN' | "'/dev/blob'"): string {
  return `COPY ${tableIdent(table)} (${columns.map(ident).join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}
