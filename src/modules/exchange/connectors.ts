/** The connector kinds pdx knows: one line per kind (the interface is connector.ts). */
import type { ConnectorFactory } from './connector.ts';
import { mysqlConnector } from './connector.mysql.ts';
import { postgresConnector } from './connector.pg.ts';

export const CONNECTORS = {
  postgresql: postgresConnector,
  mysql: mysqlConnector,
} satisfies Record<string, ConnectorFactory>;

export type SourceKind = keyof typeof CONNECTORS;
export const SOURCE_KINDS = Object.keys(CONNECTORS) as SourceKind[];
