// Finished tokens, kept in this browser's IndexedDB between visits so that getting tokens
// (auth-service, which knows who you are) and spending one (config-service, which must not) are
// not adjacent in time. A token is a bearer secret that carries no identity.

export interface StoredToken {
  /** The RFC 9578 Token, base64url. */
  token: string;
  tokenKeyId: string;
  /** When it stops being redeemable (its key leaves the directory), ISO-8601. */
  expiresAt: string;
}

export interface TokenStore {
  /** Tokens still redeemable at `now`. */
  count(now: Date): Promise<number>;
  add(tokens: StoredToken[]): Promise<void>;
  /** Removes and returns the redeemable token that expires first (expired ones are dropped). */
  take(now: Date): Promise<StoredToken | null>;
  /** Puts back a token whose redemption failed without spending it. */
  putBack(token: StoredToken): Promise<void>;
  clear(): Promise<void>;
}

const DB = 'phoenix';
const STORE = 'tokens';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/** The store in `factory` (the browser's indexedDB; tests pass fake-indexeddb's). */
export function indexedDbTokenStore(factory: IDBFactory = indexedDB): TokenStore {
  let opened: Promise<IDBDatabase> | null = null;
  const db = () =>
    (opened ??= new Promise((resolve, reject) => {
      const req = factory.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: 'token' });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    }));
  const all = async (): Promise<StoredToken[]> => request((await db()).transaction(STORE).objectStore(STORE).getAll() as IDBRequest<StoredToken[]>);
  const usable = (t: StoredToken, now: Date) => Date.parse(t.expiresAt) > now.getTime();
  return {
    count: async (now) => (await all()).filter((t) => usable(t, now)).length,
    async add(tokens) {
      const tx = (await db()).transaction(STORE, 'readwrite');
      for (const t of tokens) tx.objectStore(STORE).put(t);
      await done(tx);
    },
    async take(now) {
      // One readwrite transaction: two tabs never take the same token.
      const tx = (await db()).transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      const tokens = await request(store.getAll() as IDBRequest<StoredToken[]>);
      for (const t of tokens) if (!usable(t, now)) store.delete(t.token);
      const next = tokens.filter((t) => usable(t, now)).sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))[0] ?? null;
      if (next) store.delete(next.token);
      await done(tx);
      return next;
    },
    async putBack(token) {
      const tx = (await db()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put(token);
      await done(tx);
    },
    async clear() {
      const tx = (await db()).transaction(STORE, 'readwrite');
      tx.objectStore(STORE).clear();
      await done(tx);
    },
  };
}
