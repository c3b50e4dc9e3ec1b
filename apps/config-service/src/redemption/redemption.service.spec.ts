import { createHash } from 'node:crypto';
import { base64urlDecode, decodeToken, generateIssuerKeyPair, IssuerKeyPair } from '@phoenix/crypto';
import { AppError, Clock } from '@phoenix/common';
import { loadConfig } from '@phoenix/common';
import { configShape } from '../config';
import { Random } from '../core/random';
import { NodeRecord } from '../fleet/nodes.repository';
import { SelectableNode, toCandidate } from '../fleet/node-selection.service';
import { AddressesExhaustedError, NodeNotActiveError, TokenAlreadySpentError } from '../leases/leases.errors';
import { IssuerKey } from '../issuer-directory/issuer-directory.service';
import { mintToken, wgPublicKey } from '../../test/support';
import { tokenNullifier } from './nullifier';
import { RedemptionService } from './redemption.service';
import { TokenChallenge } from './token-challenge';

const config = loadConfig(configShape, {
  NETWORK_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/network',
  REDIS_URL: 'redis://127.0.0.1:6379',
  ISSUER_DIRECTORY_URL: 'http://issuer.test/.well-known/private-token-issuer-directory',
});

const record: NodeRecord = {
  id: '11111111-1111-4111-8111-111111111111',
  publicKey: 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=',
  endpointHost: '198.18.0.10',
  endpointPort: 51820,
  locationId: 'de-fra',
  capacity: 10,
  tunnelCidrV4: '100.64.0.0/16',
  tunnelCidrV6: 'fd00:6a:1::/64',
  ephemeral: false,
  version: '1',
  status: 'active',
  draining: false,
  healthy: true,
  pulseIntervalSec: 30,
  registeredAt: new Date(),
  lastPulseAt: new Date(),
  recoveredAt: null,
  tenantId: null,
};
const node: SelectableNode = toCandidate(record, { load: 0, peers: 0, at: Date.now(), assignedSinceLastPulse: 0 });

/** 2026-01-10T03:00:00Z: with the default 16-day TTL its tokens may be forgotten from 2026-01-27. */
const KEY_NOT_BEFORE = Date.UTC(2026, 0, 10, 3) / 1000;

/** Every adapter of the service as a strict fake: a call nobody stubbed fails the test. */
function build(
  key: IssuerKeyPair,
  overrides: Partial<Record<'select' | 'spend' | 'create' | 'exists', jest.Mock>> = {},
  tenant: Partial<Pick<IssuerKey, 'issuer' | 'tenantId' | 'leaseTtlHours'>> = {},
) {
  const strict = (name: string) => jest.fn(() => Promise.reject(new Error(`unexpected call: ${name}`)));
  const issuerKey: IssuerKey = {
    keyIdHex: key.keyIdHex,
    tokenKey: key.tokenKey,
    publicKey: key.publicKey,
    notBefore: KEY_NOT_BEFORE,
    issuer: 'issuer.test',
    tenantId: null,
    leaseTtlHours: null,
    ...tenant,
  };
  const directory = { keyFor: jest.fn(async () => issuerKey), currentKey: jest.fn(async () => issuerKey) };
  const selection = { select: overrides.select ?? jest.fn(async () => node) };
  const metrics = { assign: jest.fn(async () => undefined), unassign: jest.fn(async () => undefined) };
  const locations = { exists: overrides.exists ?? strict('exists') };
  const spent = { spend: overrides.spend ?? jest.fn(async () => 'spend-id'), unspend: jest.fn(async () => undefined) };
  const leases = {
    create:
      overrides.create ??
      jest.fn(async () => ({ id: 'l', ipv4: '100.64.7.9', ipv6: 'fd00:6a:1::77', expiresAt: new Date(Date.now() + 86_400_000), superseded: false, supersededTenantLease: null })),
  };
  const generations = { leaseCommitted: jest.fn(async () => 5) };
  const outcomes = { success: jest.fn(), reused: jest.fn(), noCapacity: jest.fn(), invalid: jest.fn() };
  const challenge = new TokenChallenge(config);
  const usage = { connection: jest.fn(), held: jest.fn() };
  const service = new RedemptionService(
    config,
    directory as never,
    challenge,
    selection as never,
    metrics as never,
    locations as never,
    spent as never,
    leases as never,
    generations as never,
    new Random(),
    new Clock(),
    outcomes as never,
    usage as never,
  );
  return { service, challenge, directory, selection, metrics, locations, spent, leases, generations, outcomes, usage };
}

/** The outcomes counted, as `[kind, location]` pairs. */
function counted(outcomes: Record<string, jest.Mock>): [string, unknown][] {
  return Object.entries(outcomes).flatMap(([kind, fn]) => fn.mock.calls.map((c) => [kind, c[0]] as [string, unknown]));
}

describe('RedemptionService: the order of the steps', () => {
  let key: IssuerKeyPair;
  beforeAll(async () => {
    key = await generateIssuerKeyPair();
  });

  const tokenFor = (challenge: TokenChallenge) => base64urlDecode(mintToken(key, challenge.bytes));

  it('verifies, selects, spends, writes the lease, then moves the generation on and announces, and renders the config', async () => {
    const t = build(key);
    const publicKey = wgPublicKey();
    const res = await t.service.redeem({ token: tokenFor(t.challenge), location: 'de-fra', publicKey });
    expect(t.selection.select.mock.invocationCallOrder[0]).toBeLessThan(t.spent.spend.mock.invocationCallOrder[0]!);
    expect(t.spent.spend.mock.invocationCallOrder[0]).toBeLessThan(t.leases.create.mock.invocationCallOrder[0]!);
    expect(t.leases.create.mock.invocationCallOrder[0]).toBeLessThan(t.generations.leaseCommitted.mock.invocationCallOrder[0]!);
    expect(t.generations.leaseCommitted).toHaveBeenCalledWith(record.id, publicKey);
    expect(res.interface).toEqual({ addresses: ['100.64.7.9/32', 'fd00:6a:1::77/128'], dns: ['100.64.0.1', 'fd00:6a:1::1'] });
    expect(res.peer.endpoint).toBe('198.18.0.10:51820');
    expect(t.spent.unspend).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([['success', 'de-fra']]);
  });

  it('does not spend the token when no node has room (NO_CAPACITY)', async () => {
    const t = build(key, { select: jest.fn(async () => null), exists: jest.fn(async () => true) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'de-fra', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'NO_CAPACITY', status: 503 });
    expect(t.spent.spend).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([['noCapacity', 'de-fra']]);
  });

  it('answers UNKNOWN_LOCATION for a location without nodes that does not exist', async () => {
    const t = build(key, { select: jest.fn(async () => null), exists: jest.fn(async () => false) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'zz-zzz', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'UNKNOWN_LOCATION' });
    expect(t.spent.spend).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([]);
  });

  it('answers TOKEN_REUSED and writes nothing when the spend loses', async () => {
    const t = build(key, { spend: jest.fn(async () => null) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'TOKEN_REUSED', status: 409 });
    expect(t.leases.create).not.toHaveBeenCalled();
    expect(t.generations.leaseCommitted).not.toHaveBeenCalled();
    // Only a winning spend counts an assignment (a replayed token must not make a node look full).
    expect(t.metrics.assign).not.toHaveBeenCalled();
    // Counted where the chosen node is, though any location would have done.
    expect(counted(t.outcomes)).toEqual([['reused', 'de-fra']]);
  });

  it('answers with the config when only the assignment count failed beside the lease (a missed estimate, not a refusal)', async () => {
    const t = build(key);
    t.metrics.assign.mockImplementationOnce(() => Promise.reject(AppError.unavailable('redis')));
    const res = await t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() });
    expect(res.interface.addresses).toEqual(['100.64.7.9/32', 'fd00:6a:1::77/128']);
    expect(t.spent.unspend).not.toHaveBeenCalled();
    expect(t.metrics.unassign).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([['success', 'de-fra']]);
  });

  it('takes no assignment back that was never counted when the lease fails too', async () => {
    const t = build(key, { create: jest.fn(() => Promise.reject(AppError.unavailable('database'))) });
    t.metrics.assign.mockImplementationOnce(() => Promise.reject(AppError.unavailable('redis')));
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.spent.unspend).toHaveBeenCalledWith(expect.any(Uint8Array), 'spend-id');
    expect(t.metrics.unassign).not.toHaveBeenCalled();
  });

  it.each([
    ['the database fails', () => Promise.reject(AppError.unavailable('database')), 'UNAVAILABLE'],
    ['the node left between selection and write', () => Promise.reject(new NodeNotActiveError()), 'NO_CAPACITY'],
    ['no free address is found', () => Promise.reject(new AddressesExhaustedError()), 'NO_CAPACITY'],
    ['something unexpected throws', () => Promise.reject(new Error('boom')), 'UNAVAILABLE'],
  ])('gives the token back (with its spend id) and no config when %s after the spend', async (_name, fail, code) => {
    const t = build(key, { create: jest.fn(fail) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code });
    expect(t.spent.unspend).toHaveBeenCalledWith(expect.any(Uint8Array), 'spend-id');
    expect(t.metrics.unassign).toHaveBeenCalledWith(record.id);
    expect(t.generations.leaseCommitted).not.toHaveBeenCalled();
    // An outage is no outcome of the token: only NO_CAPACITY counts.
    expect(counted(t.outcomes)).toEqual(code === 'NO_CAPACITY' ? [['noCapacity', 'de-fra']] : []);
  });

  it('records the nullifier (hash of the nonce) with the day its key stops being redeemable, in the lease write', async () => {
    const t = build(key);
    const token = tokenFor(t.challenge);
    await t.service.redeem({ token, location: 'auto', publicKey: wgPublicKey() });
    expect(t.leases.create).toHaveBeenCalledWith(expect.objectContaining({ spend: { nullifier: tokenNullifier(decodeToken(token).nonce), forgetOn: '2026-01-27' } }));
    // The Redis mark expires at the start of that same day: an instant of the key, not of this redemption.
    expect(t.spent.spend).toHaveBeenCalledWith(decodeToken(token).nonce, Date.UTC(2026, 0, 27) / 1000);
  });

  it('answers TOKEN_REUSED and keeps the Redis spend when the database already holds the nullifier (Redis forgot)', async () => {
    const t = build(key, { create: jest.fn(() => Promise.reject(new TokenAlreadySpentError())) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'TOKEN_REUSED', status: 409 });
    expect(t.spent.unspend).not.toHaveBeenCalled();
    expect(t.metrics.unassign).toHaveBeenCalledWith(record.id);
    expect(t.generations.leaseCommitted).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([['reused', 'de-fra']]);
  });

  it('fails closed when Redis is down at the spend: 503 and nothing written', async () => {
    const t = build(key, { spend: jest.fn(() => Promise.reject(AppError.unavailable('redis'))) });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(t.leases.create).not.toHaveBeenCalled();
    expect(t.metrics.assign).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([]);
  });

  it('checks the token before touching anything else', async () => {
    const t = build(key);
    const bad = tokenFor(t.challenge);
    bad[bad.length - 1] ^= 0xff;
    await expect(t.service.redeem({ token: bad, location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'INVALID_TOKEN', status: 401 });
    expect(t.selection.select).not.toHaveBeenCalled();
    expect(t.spent.spend).not.toHaveBeenCalled();
    expect(counted(t.outcomes)).toEqual([['invalid', 'auto']]);
  });

  // RFC 9578 Token: token_type (2) | nonce (32) | challenge_digest (32) | token_key_id (32) | authenticator.
  const flip = (token: Uint8Array, at: number) => Uint8Array.from(token, (b, i) => (i === at ? b ^ 0xff : b));
  it.each([
    ['of the wrong length', (token: Uint8Array) => token.subarray(0, token.length - 1), false, 400],
    ['of another token type', (token: Uint8Array) => flip(token, 1), false, 401],
    ['for another challenge', (token: Uint8Array) => flip(token, 2 + 32), false, 401],
    ['under an unknown key', (token: Uint8Array) => flip(token, 2 + 32 + 32), true, 401],
    ['with a bad signature', (token: Uint8Array) => flip(token, token.length - 1), false, 401],
  ])('counts a token %s as invalid for the location asked for', async (_name, spoil, unknownKey, status) => {
    const t = build(key);
    if (unknownKey) t.directory.keyFor.mockResolvedValue(null as never);
    await expect(t.service.redeem({ token: spoil(tokenFor(t.challenge)), location: 'nl-ams', publicKey: wgPublicKey() })).rejects.toMatchObject({ status });
    expect(counted(t.outcomes)).toEqual([['invalid', 'nl-ams']]);
    expect(t.selection.select).not.toHaveBeenCalled();
  });

  it('hands out the lease id and a release token whose SHA-256 is what the lease stores; a consumer token gets LEASE_TTL_SEC and shared nodes', async () => {
    const t = build(key);
    const res = await t.service.redeem({ token: tokenFor(t.challenge), location: 'de-fra', publicKey: wgPublicKey() });
    expect(res.lease.id).toBe('l');
    expect(res.lease.releaseToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const args = t.leases.create.mock.calls[0]![0] as { releaseTokenHash: Buffer; tenantId: string | null; ttlSec: number };
    expect(args.releaseTokenHash.equals(createHash('sha256').update(res.lease.releaseToken).digest())).toBe(true);
    expect(args.tenantId).toBeNull();
    expect(args.ttlSec).toBe(config.LEASE_TTL_SEC);
    expect(t.selection.select).toHaveBeenCalledWith('de-fra', null);
    expect(t.usage.connection).not.toHaveBeenCalled();
  });

  describe('a tenant token (its key id names a tenant issuer)', () => {
    const tenantId = '3f0c1c52-5a43-4b7e-9d7e-0b6a2f6f4b11';
    const issuer = `issuer.test/tenants/${tenantId}`;

    it("answers only its issuer's challenge, gets the plan's lease TTL, prefers the tenant's nodes and is metered", async () => {
      const t = build(key, {}, { issuer, tenantId, leaseTtlHours: 5 });
      const token = base64urlDecode(mintToken(key, t.challenge.forIssuer(issuer).bytes));
      await t.service.redeem({ token, location: 'de-fra', publicKey: wgPublicKey() });
      expect(t.selection.select).toHaveBeenCalledWith('de-fra', tenantId);
      expect(t.leases.create).toHaveBeenCalledWith(expect.objectContaining({ tenantId, ttlSec: 5 * 3600 }));
      expect(t.usage.connection).toHaveBeenCalledWith(tenantId, expect.any(Date));
    });

    it("is INVALID_TOKEN with the consumer's challenge, and a consumer token with a tenant's", async () => {
      const t = build(key, {}, { issuer, tenantId, leaseTtlHours: 5 });
      await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      const c = build(key);
      const token = base64urlDecode(mintToken(key, c.challenge.forIssuer(issuer).bytes));
      await expect(c.service.redeem({ token, location: 'auto', publicKey: wgPublicKey() })).rejects.toMatchObject({ code: 'INVALID_TOKEN' });
      expect(t.spent.spend).not.toHaveBeenCalled();
      expect(c.spent.spend).not.toHaveBeenCalled();
    });

    it('meters the tenant lease a redemption replaced (same key, same node) as held', async () => {
      const from = new Date(Date.now() - 3_600_000);
      const to = new Date();
      const create = jest.fn(async () => ({ id: 'l2', ipv4: '100.64.7.9', ipv6: null, expiresAt: new Date(Date.now() + 3_600_000), superseded: true, supersededTenantLease: { tenantId, from, to } }));
      const t = build(key, { create }, { issuer, tenantId, leaseTtlHours: 1 });
      await t.service.redeem({ token: base64urlDecode(mintToken(key, t.challenge.forIssuer(issuer).bytes)), location: 'auto', publicKey: wgPublicKey() });
      expect(t.usage.held).toHaveBeenCalledWith(tenantId, from, to);
    });
  });

  it('refuses publicKey together with sealTo, and neither', async () => {
    const t = build(key);
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto', publicKey: wgPublicKey(), sealTo: wgPublicKey() })).rejects.toMatchObject({ status: 400 });
    await expect(t.service.redeem({ token: tokenFor(t.challenge), location: 'auto' })).rejects.toMatchObject({ status: 400 });
    expect(counted(t.outcomes)).toEqual([]);
  });
});
