#!/usr/bin/env node
// The pdx command. TypeScript sources run through tsx, so there is no separate server build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
