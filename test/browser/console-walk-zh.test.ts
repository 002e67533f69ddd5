/**
 * The console page by page (issue 22), part of the walk in test/helpers/console-walk.ts: every role in Chinese at 1440×900, each menu entry and tab.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import { describeConsoleWalk } from '../helpers/console-walk.ts';

describeConsoleWalk({ chinese: ['ga-officer', 'zy-minzheng', 'zy-brain', 'secadmin', 'auditor', 'sysadmin'], english: [], pages: false });
