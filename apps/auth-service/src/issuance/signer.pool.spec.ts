import { blindSignRaw, createTokenRequest, decodeTokenRequest, encodeTokenChallenge, finalizeToken, generateIssuerKeyPair, verifyToken, type IssuerKeyPair } from '@phoenix/crypto';
import type { AuthConfig } from '../config';
import { SIGNATURES_PER_REPLY, SignerPool, SigningError } from './signer.pool';

const challenge = encodeTokenChallenge({ tokenType: 2, issuerName: 'issuer.test', redemptionContext: new Uint8Array(0), originInfo: [] });

describe('SignerPool', () => {
  let key: IssuerKeyPair;
  beforeAll(async () => {
    key = await generateIssuerKeyPair();
  });

  it.each([0, 2])('with %i workers signs exactly like blindSignRaw, and the token finalizes', async (workers) => {
    const pool = new SignerPool({ SIGNING_WORKERS: workers } as AuthConfig);
    try {
      const requests = Array.from({ length: 5 }, () => createTokenRequest(key.tokenKey, challenge));
      const msgs = requests.map((r) => decodeTokenRequest(r.request).blindedMsg);
      const sigs = await pool.sign(key.keyIdHex, key.privateKey, msgs);
      sigs.forEach((sig, i) => {
        expect(Buffer.from(sig)).toEqual(Buffer.from(blindSignRaw(key.privateKey, msgs[i])));
        expect(verifyToken(key.tokenKey, finalizeToken(requests[i].state, sig))).toBe(true);
      });
    } finally {
      await pool.onApplicationShutdown();
    }
  });

  it.each([0, 2])('with %i workers refuses exactly like blindSignRaw (the workers run @phoenix/crypto, not a copy)', async (workers) => {
    const pool = new SignerPool({ SIGNING_WORKERS: workers } as AuthConfig);
    try {
      for (const msg of [new Uint8Array(256).fill(0xff), new Uint8Array(255).fill(1)]) {
        let expected = '';
        try {
          blindSignRaw(key.privateKey, msg);
        } catch (e) {
          expected = (e as Error).message;
        }
        expect(expected).not.toBe('');
        await expect(pool.sign(key.keyIdHex, key.privateKey, [msg])).rejects.toThrow(new SigningError(expected));
      }
    } finally {
      await pool.onApplicationShutdown();
    }
  });

  it('signs a burst of separate requests larger than a batch, under two keys, each with its own key', async () => {
    const other = await generateIssuerKeyPair();
    const pool = new SignerPool({ SIGNING_WORKERS: 2 } as AuthConfig);
    try {
      // All submitted in one event-loop turn: they leave in one message per worker and come
      // back in batches of at most SIGNATURES_PER_REPLY; every promise must get its own signature.
      const jobs = Array.from({ length: 3 * SIGNATURES_PER_REPLY + 1 }, (_, i) => {
        const k = i % 3 === 0 ? other : key;
        const r = createTokenRequest(k.tokenKey, challenge);
        return { k, r, sig: pool.sign(k.keyIdHex, k.privateKey, [decodeTokenRequest(r.request).blindedMsg]) };
      });
      for (const { k, r, sig } of jobs) {
        const [s] = await sig;
        expect(verifyToken(k.tokenKey, finalizeToken(r.state, s))).toBe(true);
      }
    } finally {
      await pool.onApplicationShutdown();
    }
  });

  it('rejects a message the private operation cannot sign, and keeps working', async () => {
    const pool = new SignerPool({ SIGNING_WORKERS: 1 } as AuthConfig);
    try {
      await expect(pool.sign(key.keyIdHex, key.privateKey, [new Uint8Array(256).fill(0xff)])).rejects.toBeInstanceOf(SigningError);
      const { request } = createTokenRequest(key.tokenKey, challenge);
      await expect(pool.sign(key.keyIdHex, key.privateKey, [decodeTokenRequest(request).blindedMsg])).resolves.toHaveLength(1);
    } finally {
      await pool.onApplicationShutdown();
    }
  });
});
