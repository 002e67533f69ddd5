/**
 * Moved to src/lib/divisions.ts (reference data, not a domain). This re-export only keeps
 * duties/returnflow.service.ts building until its import points at src/lib/divisions.ts; then delete it.
 */
export { divisionsWithin, regionName } from '../../lib/divisions.ts';
