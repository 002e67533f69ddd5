/**
 * The console page by page (issue 22), part of the walk in test/helpers/console-walk.ts: three roles in English on a 390×844 phone (ga-officer, zy-brain, auditor).
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import { describeConsoleWalk } from '../helpers/console-walk.ts';

describeConsoleWalk({ chinese: [], english: ['ga-officer', 'zy-brain', 'auditor'], pages: false });
