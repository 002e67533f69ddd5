/**
 * Libraries that take long to load are loaded on first use, so a command or a server that never
 * needs them does not pay for them at start (measured on the 2-core machine, `node` importing each
 * alone: exceljs ~0.4 s, oidc-provider ~0.4 s, mqtt + aedes ~0.3 s, mysql2 ~0.05 s, of ~2.6 s for the
 * whole program).
 */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

export const loadExcel = once(async () => (await import('exceljs')).default);
export const loadMqtt = once(async () => (await import('mqtt')).default);
export const loadAedes = once(async () => (await import('aedes')).Aedes);
export const loadOidcProvider = once(async () => (await import('oidc-provider')).default);
export const loadMysql = once(async () => (await import('mysql2')).default);
