/** Public facts about this installation that the console shows before sign-in. */
import type { Db } from '../../db/index.ts';
import { VERSION } from '../../version.ts';

export function createSystemService(deps: { db: Pick<Db, 'backend'> }) {
  return {
    /** Platform name (Chinese and English), version and database backend. */
    info: () => ({ name: '公共数据共享交换平台', nameEn: 'Public Data Exchange', version: VERSION, database: deps.db.backend }),
  };
}

export type SystemService = ReturnType<typeof createSystemService>;
