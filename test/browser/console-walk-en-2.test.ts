/**
 * The console page by page (issue 22), part of the walk in test/helpers/console-walk.ts: the other three roles in English on a 390×844 phone (zy-minzheng, secadmin, sysadmin), the share request, request and approval pages on a phone, and the security dashboard's consumers chart.
 * Needs the built console (web/dist: `node scripts/build-web.mjs`).
 */
import { describeConsoleWalk } from '../helpers/console-walk.ts';

describeConsoleWalk({ chinese: [], english: ['zy-minzheng', 'secadmin', 'sysadmin'], pages: true });
