// Where the services are: read at start from /config.json (written by whoever serves the files:
// tools/platform/web-server.ts locally, the gateway in production), so one build fits every
// environment and nothing about the deployment is compiled into the bundle.

export interface RuntimeConfig {
  /** auth-service base URL (no trailing slash). */
  authUrl: string;
  /** config-service base URL (no trailing slash). */
  configUrl: string;
  firebase: { apiKey: string; projectId: string; authDomain?: string };
  /** `host:port` of the Firebase Auth emulator (development), or null for Firebase itself. */
  firebaseAuthEmulator: string | null;
}

const httpUrl = (v: unknown): v is string => {
  if (typeof v !== 'string') return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !v.endsWith('/');
  } catch {
    return false;
  }
};

/** Checks /config.json's shape. @throws {Error} naming the first bad field */
export function parseRuntimeConfig(value: unknown): RuntimeConfig {
  const v = (value ?? {}) as Partial<RuntimeConfig>;
  if (!httpUrl(v.authUrl)) throw new Error('config.json: authUrl must be an http(s) URL without a trailing slash');
  if (!httpUrl(v.configUrl)) throw new Error('config.json: configUrl must be an http(s) URL without a trailing slash');
  const f = v.firebase;
  if (!f || typeof f.apiKey !== 'string' || !f.apiKey || typeof f.projectId !== 'string' || !f.projectId) throw new Error('config.json: firebase.apiKey and firebase.projectId are required');
  const emulator = v.firebaseAuthEmulator ?? null;
  if (emulator !== null && (typeof emulator !== 'string' || !/^[\w.-]+:\d+$/.test(emulator))) throw new Error('config.json: firebaseAuthEmulator must be host:port or null');
  return { authUrl: v.authUrl, configUrl: v.configUrl, firebase: { apiKey: f.apiKey, projectId: f.projectId, ...(f.authDomain ? { authDomain: f.authDomain } : {}) }, firebaseAuthEmulator: emulator };
}

export async function loadRuntimeConfig(fetchFn: typeof fetch = fetch): Promise<RuntimeConfig> {
  const res = await fetchFn('/config.json', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error(`config.json: ${res.status}`);
  return parseRuntimeConfig(await res.json());
}
