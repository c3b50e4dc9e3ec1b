import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { indexedDbTokenStore } from './token-store';

const at = (iso: string) => new Date(iso);
const token = (name: string, expiresAt: string) => ({ token: name, tokenKeyId: 'kid', expiresAt });

describe('the token store (IndexedDB)', () => {
  it('hands out the token that expires first, drops expired ones, and keeps what is put back', async () => {
    const store = indexedDbTokenStore(new IDBFactory());
    await store.add([token('late', '2026-12-10T00:00:00Z'), token('early', '2026-12-05T00:00:00Z'), token('gone', '2026-11-01T00:00:00Z')]);
    const now = at('2026-11-30T00:00:00Z');
    expect(await store.count(now)).toBe(2);
    const first = await store.take(now);
    expect(first?.token).toBe('early');
    expect(await store.count(now)).toBe(1);
    await store.putBack(first!);
    expect(await store.count(now)).toBe(2);
    expect((await store.take(now))?.token).toBe('early');
    expect((await store.take(now))?.token).toBe('late');
    expect(await store.take(now)).toBeNull();
  });

  it('persists across instances on the same database and clears', async () => {
    const factory = new IDBFactory();
    await indexedDbTokenStore(factory).add([token('a', '2027-01-01T00:00:00Z')]);
    const again = indexedDbTokenStore(factory);
    expect(await again.count(at('2026-11-30T00:00:00Z'))).toBe(1);
    await again.clear();
    expect(await again.count(at('2026-11-30T00:00:00Z'))).toBe(0);
  });
});
