import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStateDir, emptyState, jwtExpiry, loadState, parseState, saveState, StateError, usableTokens, withoutToken, withPrivateKey } from './state';

describe('client state file', () => {
  let dir: string;
  beforeEach(() => (dir = join(mkdtempSync(join(tmpdir(), 'phx-client-spec-')), 'state')));
  afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

  it('is empty before the first save, and round-trips', () => {
    expect(loadState(dir)).toEqual(emptyState());
    const state = { ...emptyState(), tokens: [{ token: 'AAEC', tokenKeyId: 'kid', expiresAt: '2999-01-01T00:00:00.000Z' }] };
    saveState(dir, state);
    expect(loadState(dir)).toEqual(state);
  });

  it('keeps the file 0600 in a 0700 directory, and tightens a file made readable by others', () => {
    saveState(dir, emptyState());
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
    chmodSync(join(dir, 'state.json'), 0o644);
    loadState(dir);
    expect(statSync(join(dir, 'state.json')).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['not JSON', '{'],
    ['another file', '{"hello": 1}'],
    ['a bad token entry', '{"version": 1, "tokens": [{"token": 1}]}'],
  ])('refuses %s with a clear message', (_n, text) => {
    expect(() => parseState(text)).toThrow(StateError);
  });

  it('defaults to ~/.phoenix-client, or PHOENIX_CLIENT_STATE_DIR', () => {
    expect(defaultStateDir({ HOME: '/home/a' })).toBe('/home/a/.phoenix-client');
    expect(defaultStateDir({ HOME: '/home/a', PHOENIX_CLIENT_STATE_DIR: '/x' })).toBe('/x');
  });

  it('uses unexpired tokens, soonest expiry first, and drops one by value', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const tokens = [
      { token: 'late', tokenKeyId: 'k', expiresAt: '2030-01-09T00:00:00Z' },
      { token: 'gone', tokenKeyId: 'k', expiresAt: '2029-12-31T00:00:00Z' },
      { token: 'soon', tokenKeyId: 'k', expiresAt: '2030-01-02T00:00:00Z' },
    ];
    expect(usableTokens(tokens, now).map((t) => t.token)).toEqual(['soon', 'late']);
    expect(withoutToken({ ...emptyState(), tokens }, 'soon').tokens.map((t) => t.token)).toEqual(['late', 'gone']);
  });

  it('fills the private key into the wg-quick config (replacing any), under [Interface]', () => {
    const conf = '[Interface]\nAddress = 100.64.0.2/32\n\n[Peer]\nPublicKey = abc\n';
    expect(withPrivateKey(conf, 'KEY=')).toBe('[Interface]\nPrivateKey = KEY=\nAddress = 100.64.0.2/32\n\n[Peer]\nPublicKey = abc\n');
    expect(withPrivateKey('[Interface]\nPrivateKey = old\n', 'new')).toBe('[Interface]\nPrivateKey = new\n');
    expect(() => withPrivateKey('[Peer]\n', 'k')).toThrow(StateError);
  });

  it('reads a JWT expiry without verifying it', () => {
    const jwt = `x.${Buffer.from(JSON.stringify({ exp: 2000000000 })).toString('base64url')}.y`;
    expect(jwtExpiry(jwt)).toBe(2000000000 * 1000);
    expect(jwtExpiry('garbage')).toBeNull();
  });
});
