/** A tiny `pdx` with only the scan command, for child-process tests: node --import tsx test/corpus/pdx-scan.ts scan FILE. */
import { Command } from 'commander';
import { registerScanCommand } from '../../src/modules/classify/scan.cli.ts';

const program = new Command('pdx');
registerScanCommand(program);
await program.parseAsync(process.argv);
