import type { Queryable } from '../../db/index.ts';
import { ident } from '../../db/sql.ts';
import type { ColumnRow } from '../catalog/catalog.service.ts';

/** Physical columns of a version table: the row id, each 信息项, and blind indexes beside them. */
export function physicalColumns(columns: Pick<ColumnRow, 'physical' | 'blind_index'>[]): string[] {
  return ['_row', ...columns.flatMap((c) => (c.blind_index ? [c.physical, `${c.physical}_bi`] : [c.physical]))];
}

/** A physical table behind a dataset's view, oldest first; `correct` hides earlier rows of its row numbers. */
export interface VersionTable {
  relation: string;
  mode: string;
}

/** The SELECT of what a dataset shows from its version tables (see rebuildView). */
function visibleRows(tables: readonly VersionTable[], list: string, key?: string): string {
  const parts = tables.map((t, i) => {
    const later = tables.slice(i + 1).filter((c) => c.mode === 'correct');
    const hidden = later.map((c) => `NOT EXISTS (SELECT 1 FROM ${ident(c.relation)} c WHERE c._row = t._row)`);
    return `SELECT ${list} FROM ${ident(t.relation)} t${hidden.length ? ` WHERE ${hidden.join(' AND ')}` : ''}`;
  });
  const union = parts.join(' UNION ALL ');
  return key ? `SELECT DISTINCT ON (${ident(key)}) ${list} FROM (${union}) u ORDER BY ${ident(key)}, _row DESC` : union;
}

/** Keys bound per DELETE statement. */
const DELETE_CHUNK = 10_000;

/**
 * All SQL of loading versions on their physical tables (the catalogue's rows of a load go through
 * `catalog.within(tx)`). Identifiers are catalogue names, passed through ident().
 */
export function ingestRepo(db: Queryable) {
  return {
    dropTable: (table: string) => db.query(`DROP TABLE IF EXISTS ${ident(table)}`),
    createVersionTable: (table: string, columns: (Pick<ColumnRow, 'physical' | 'blind_index'> & { sqlType: string })[]) =>
      db.query(
        `CREATE TABLE ${ident(table)} (${['_row bigint NOT NULL', ...columns.flatMap((c) => [`${ident(c.physical)} ${c.sqlType}`, ...(c.blind_index ? [`${ident(`${c.physical}_bi`)} text`] : [])])].join(', ')})`,
      ),
    async indexVersionTable(table: string, columns: Pick<ColumnRow, 'physical' | 'blind_index'>[]) {
      await db.query(`CREATE INDEX ON ${ident(table)} (_row)`);
      for (const c of columns.filter((c) => c.blind_index)) await db.query(`CREATE INDEX ON ${ident(table)} (${ident(`${c.physical}_bi`)})`);
    },
    /**
     * Points the dataset's read relation at the given version tables (the visible switch). A
     * correction version holds only corrected rows: it hides the rows of the same number in the
     * versions before it, which stay as they were (the history of before and after). With a key (a
     * physical column), only the latest row of each key is visible: later loads replace earlier rows
     * of the same key (upsert).
     */
    async rebuildView(relation: string, tables: VersionTable[], columns: Pick<ColumnRow, 'physical' | 'blind_index'>[], key?: string) {
      await db.query(`DROP VIEW IF EXISTS ${ident(relation)}`);
      await db.query(`CREATE VIEW ${ident(relation)} AS ${visibleRows(tables, physicalColumns(columns).map(ident).join(', '), key)}`);
    },
    /** Fills `table` with the rows the given version tables show together (as the view would). */
    mergeInto: (table: string, tables: VersionTable[], columns: Pick<ColumnRow, 'physical' | 'blind_index'>[], key?: string) => {
      const list = physicalColumns(columns).map(ident).join(', ');
      return db.query(`INSERT INTO ${ident(table)} (${list}) ${visibleRows(tables, list, key)}`);
    },
    /** Removes the rows whose key column holds one of `keys` (stored forms, cast to the column's SQL type). */
    async deleteKeys(table: string, column: string, sqlType: string, keys: readonly unknown[]) {
      for (let i = 0; i < keys.length; i += DELETE_CHUNK) {
        await db.query(`DELETE FROM ${ident(table)} WHERE ${ident(column)} = ANY($1::${sqlType}[])`, [keys.slice(i, i + DELETE_CHUNK)]);
      }
    },
    countRows: async (relation: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${ident(relation)}`))[0]!.n),
    /** The stored (possibly encrypted) values of the given rows, as the dataset shows them now. */
    readRows: (relation: string, columns: Pick<ColumnRow, 'physical' | 'blind_index'>[], rows: number[]) =>
      db.query<Record<string, unknown>>(
        `SELECT ${physicalColumns(columns).map(ident).join(', ')} FROM ${ident(relation)} WHERE _row = ANY($1::bigint[]) ORDER BY _row`,
        [rows],
      ),
    /** Copies rows as stored (ciphertext, blind indexes and all) from the dataset's view into a version table. */
    copyRowsFrom: (table: string, relation: string, columns: Pick<ColumnRow, 'physical' | 'blind_index'>[], rows: number[]) => {
      const list = physicalColumns(columns).map(ident).join(', ');
      return db.query(`INSERT INTO ${ident(table)} (${list}) SELECT ${list} FROM ${ident(relation)} WHERE _row = ANY($1::bigint[])`, [rows]);
    },
    /** Sets one cell (and its blind index) of a version table; the text value is cast to the column's type. */
    setCell: (table: string, column: Pick<ColumnRow, 'physical' | 'blind_index'>, row: number, value: string | null, blindIndex: string | null) =>
      db.query(
        `UPDATE ${ident(table)} SET ${ident(column.physical)} = $1${column.blind_index ? `, ${ident(`${column.physical}_bi`)} = $3` : ''} WHERE _row = $2`,
        column.blind_index ? [value, row, blindIndex] : [value, row],
      ),
  };
}
