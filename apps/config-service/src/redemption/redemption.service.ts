import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig, sha256 } from '@phoenix/common';
import {
  CryptoErrorCode,
  Token,
  decodeToken,
  equalBytes,
  generateWireGuardKeyPair,
  isCryptoError,
  parseWireGuardKey as parseX25519Key,
  renderWwwAuthenticate,
  sealBox,
  verifyToken,
} from '@phoenix/crypto';
import { ClientConfigTemplate, clientConfigTemplate, formatEndpoint, gatewayAddress } from '@phoenix/wireguard';
import type { NetworkConfig } from '../config';
import { Random } from '../core/random';
import { NodeMetricsStore } from '../fleet/node-metrics.store';
import { NodeSelectionService } from '../fleet/node-selection.service';
import type { NodeRecord } from '../fleet/nodes.repository';
import { NodeGenerations } from '../fleet/node-generations';
import { TenantUsageStore } from '../fleet/tenant-usage.store';
import { IssuerDirectoryService, IssuerKey } from '../issuer-directory/issuer-directory.service';
import { LeasesRepository, NewLease } from '../leases/leases.repository';
import { AddressesExhaustedError, NodeNotActiveError, TokenAlreadySpentError } from '../leases/leases.errors';
import { LocationsRepository } from '../locations/locations.repository';
import { RedeemResponse, TokenChallengeView } from './dto/redeem.dto';
import { badRequest, invalidToken, noCapacity, tokenReused } from './redemption.errors';
import { RedemptionOutcomes } from './redemption-outcomes';
import { dayOf, forgetAt, tokenNullifier } from './nullifier';
import { SpentTokensStore } from './spent-tokens.store';
import { TokenChallenge } from './token-challenge';

export interface RedeemInput {
  token: Uint8Array;
  location: string;
  publicKey?: string;
  sealTo?: string;
}

const CLIENT_ALLOWED_IPS = ['0.0.0.0/0', '::/0'];
const PERSISTENT_KEEPALIVE = 25;

/** What every answer for one node shares, made once per node row read (the rows are cached by selection). */
interface NodeAnswer {
  /** The client's resolvers, also reserved in the node's pools. */
  readonly dns: string[];
  readonly peer: RedeemResponse['peer'];
  /** The client config but for the client's addresses. */
  readonly config: ClientConfigTemplate;
}

/**
 * One-time token redemption: the only thing learned about the client is that its token is valid.
 *
 * Step order, and why:
 *  1. input and key checks (400), token checks — type, key id, challenge digest, signature (401):
 *     nothing is written before the token is known good. The key id tells the issuer: the
 *     consumer's, or a tenant's (whose tokens answer that tenant issuer's challenge, get its plan's
 *     lease TTL and prefer its dedicated nodes);
 *  2. node selection (404 unknown location, 503 NO_CAPACITY): before the spend, so running out of
 *     room never consumes a token;
 *  3. spend with Redis `SET NX` (409 for the loser of any race, on any replica) — the fast check;
 *  4. one Postgres transaction: the token's nullifier (unique; no link to the lease), then the
 *     lease (random addresses), with the node's assignment counted in Redis meanwhile. A
 *     nullifier already there means the token was spent before and Redis forgot it: 409, no
 *     lease, and the fresh Redis mark is kept. Any other failure of the transaction gives the
 *     token back (compare-and-delete on our spend id), no config;
 *  5. after the commit, the node's generation moves on and the lease is announced to the node
 *     ({@link NodeGenerations}: one bump for the leases of that node committed meanwhile, behind
 *     the answer — it never fails the redemption: the lease is committed, and a node that misses
 *     it reconciles);
 *  6. answer with the config.
 * Redis or Postgres down at any step is `503 UNAVAILABLE` (fail closed, never a config) — except
 * the assignment count beside a lease that was made (a missed estimate, not a refusal).
 *
 * The outcome — a config, `TOKEN_REUSED`, `NO_CAPACITY` or a token refused as invalid or
 * malformed — is counted per location and hour for the fleet totals ({@link RedemptionOutcomes}),
 * fire and forget. Bad input other than the token, unknown locations and outages are not counted.
 */
@Injectable()
export class RedemptionService {
  private readonly answers = new WeakMap<NodeRecord, NodeAnswer>();

  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly directory: IssuerDirectoryService,
    private readonly challenge: TokenChallenge,
    private readonly selection: NodeSelectionService,
    private readonly metrics: NodeMetricsStore,
    private readonly locations: LocationsRepository,
    private readonly spent: SpentTokensStore,
    private readonly leases: LeasesRepository,
    private readonly generations: NodeGenerations,
    private readonly random: Random,
    private readonly clock: Clock,
    private readonly outcomes: RedemptionOutcomes,
    private readonly usage: TenantUsageStore,
  ) {}

  tokenChallenge(): TokenChallengeView {
    return { challenge: this.challenge.encoded, issuer: this.challenge.issuerName };
  }

  /**
   * The challenge of the issuer named `issuer` (`GET /vpn/token-challenge?issuer=`): the consumer's
   * for none or its own name, a tenant's for a name auth-service publishes.
   * @throws AppError UNKNOWN_ISSUER (404) for any other name, VALIDATION_FAILED for a malformed one
   */
  async tokenChallengeFor(issuer: unknown): Promise<TokenChallengeView> {
    if (issuer === undefined || issuer === this.challenge.issuerName) return this.tokenChallenge();
    if (typeof issuer !== 'string' || issuer.length === 0 || issuer.length > 255) throw badRequest('issuer must be one issuer name (1-255 characters)');
    const tenant = await this.directory.tenantIssuer(issuer);
    if (!tenant) throw new AppError(ErrorCode.UNKNOWN_ISSUER, 'no issuer of that name');
    const c = this.challenge.forIssuer(tenant.issuer);
    return { challenge: c.encoded, issuer: c.issuerName };
  }

  /** The `WWW-Authenticate: PrivateToken` challenge with the current issuer key. */
  async wwwAuthenticate(): Promise<string> {
    const key = await this.directory.currentKey();
    return renderWwwAuthenticate({ challenge: this.challenge.bytes, tokenKey: key.tokenKey });
  }

  async redeem(input: RedeemInput): Promise<RedeemResponse> {
    // 1. Inputs, then the token.
    if (input.publicKey !== undefined && input.sealTo !== undefined) throw badRequest('give either publicKey or sealTo, not both');
    if (input.publicKey === undefined && input.sealTo === undefined) throw badRequest('publicKey (or, for a server-made key pair, sealTo) is required');
    const { token, key } = await this.verify(input.token, input.location);

    // Server-made key pair: the private key leaves only sealed to the client and is never stored.
    let publicKey = input.publicKey;
    let sealedPrivateKey: string | undefined;
    if (input.sealTo !== undefined) {
      const pair = generateWireGuardKeyPair();
      const secret = parseX25519Key(pair.privateKey);
      try {
        sealedPrivateKey = Buffer.from(sealBox(secret, parseX25519Key(input.sealTo))).toString('base64');
      } catch (e) {
        if (isCryptoError(e)) throw badRequest('sealTo is not a usable X25519 public key');
        throw e;
      } finally {
        secret.fill(0);
      }
      publicKey = pair.publicKey;
    }

    // 2. A node with room, before spending anything.
    // A tenant's token prefers the tenant's dedicated nodes; others only ever get shared ones.
    const node = await this.selection.select(input.location, key.tenantId);
    if (!node) {
      if (input.location !== 'auto' && !(await this.locations.exists(input.location))) {
        throw new AppError(ErrorCode.UNKNOWN_LOCATION, `unknown location ${input.location}`);
      }
      this.outcomes.noCapacity(input.location);
      throw noCapacity();
    }

    // 3. Spend: exactly one concurrent redemption of this token gets past here.
    const forgetAtSec = forgetAt(key.notBefore, this.clock.nowMs() / 1000, this.config.SPENT_TOKEN_TTL_SEC);
    const record = node.record;
    // What the answer takes from the node (checked when first made): before anything is spent.
    const answer = this.answerFor(record);
    const spendId = await this.spent.spend(token.nonce, forgetAtSec);
    if (spendId === null) {
      this.outcomes.reused(record.locationId);
      throw tokenReused();
    }

    // 4. Nullifier and lease in one transaction. Every failure from here returns the token, except
    // finding it spent before. The node's assignment is counted in Redis meanwhile (only winners
    // count: a replayed token must not make a node look full), taken back if no lease is made; a
    // count that failed beside a lease that was made is only a missed estimate (the next pulse
    // resets it), not a reason to refuse a config already paid for.
    // The lease's release token (DELETE /vpn/config): 32 random bytes, only its hash is stored.
    const releaseToken = randomBytes(32).toString('base64url');
    const ttlSec = key.leaseTtlHours !== null ? key.leaseTtlHours * 3600 : this.config.LEASE_TTL_SEC;
    const [assignment, made] = await Promise.allSettled([
      this.metrics.assign(record.id, record.pulseIntervalSec),
      this.leases.create({
        nodeId: record.id,
        publicKey: publicKey as string,
        pools: { v4: record.tunnelCidrV4, v6: record.tunnelCidrV6 },
        reserved: answer.dns,
        ttlSec,
        random: this.random.source,
        spend: { nullifier: tokenNullifier(token.nonce), forgetOn: dayOf(forgetAtSec) },
        tenantId: key.tenantId,
        releaseTokenHash: sha256(releaseToken),
      }),
    ]);
    if (made.status === 'rejected') {
      const e: unknown = made.reason;
      // Spent before, and Redis forgot: keep the mark we just set (it is true again), answer 409.
      const spentBefore = e instanceof TokenAlreadySpentError;
      if (!spentBefore) await this.spent.unspend(token.nonce, spendId);
      if (assignment.status === 'fulfilled') await this.metrics.unassign(record.id);
      if (spentBefore) {
        this.outcomes.reused(record.locationId);
        throw tokenReused();
      }
      if (e instanceof NodeNotActiveError || e instanceof AddressesExhaustedError) {
        this.outcomes.noCapacity(record.locationId);
        throw noCapacity();
      }
      throw e instanceof AppError ? e : AppError.unavailable('database', e);
    }
    const lease: NewLease = made.value;

    // 5. The node's generation and the announcement, behind the answer (a few milliseconds: one
    // bump shared by this node's leases committed meanwhile; waiting for it would only add latency).
    void this.generations.leaseCommitted(record.id, publicKey as string);
    // Tenant metering (fire and forget): a connection now; a lease this one replaced has ended.
    if (key.tenantId !== null) this.usage.connection(key.tenantId, new Date(this.clock.nowMs()));
    const replaced = lease.supersededTenantLease;
    if (replaced) this.usage.held(replaced.tenantId, replaced.from, replaced.to);

    // 6. The config.
    const { config, addresses } = answer.config.render([`${lease.ipv4}/32`, ...(lease.ipv6 ? [`${lease.ipv6}/128`] : [])]);
    const response: RedeemResponse = {
      config,
      interface: { addresses, dns: answer.dns },
      peer: answer.peer,
      node: { id: record.id, location: record.locationId },
      expiresAt: lease.expiresAt.toISOString(),
      lease: { id: lease.id, releaseToken },
      ...(sealedPrivateKey !== undefined ? { sealedPrivateKey } : {}),
    };
    this.outcomes.success(record.locationId);
    return response;
  }

  /** The parts of an answer that depend on the node only: made on first use of this row. */
  private answerFor(record: NodeRecord): NodeAnswer {
    let answer = this.answers.get(record);
    if (answer) return answer;
    const dns = this.config.VPN_DNS ?? [gatewayAddress(record.tunnelCidrV4), ...(record.tunnelCidrV6 ? [gatewayAddress(record.tunnelCidrV6)] : [])];
    const endpoint = { host: record.endpointHost, port: record.endpointPort };
    const peer = { publicKey: record.publicKey, endpoint, allowedIps: CLIENT_ALLOWED_IPS, persistentKeepalive: PERSISTENT_KEEPALIVE };
    answer = { dns, peer: { ...peer, endpoint: formatEndpoint(endpoint) }, config: clientConfigTemplate({ dns, peer }) };
    this.answers.set(record, answer);
    return answer;
  }

  /**
   * RFC 9578 §6.4 origin checks: type, key id (a listed key in force), challenge digest, signature.
   * A refused token is counted as invalid for `location` (the one asked for).
   */
  private async verify(bytes: Uint8Array, location: string): Promise<{ token: Token; key: IssuerKey }> {
    const refuse = (why: string): Promise<AppError> => {
      this.outcomes.invalid(location);
      return this.invalid(why);
    };
    let token: Token;
    try {
      token = decodeToken(bytes);
    } catch (e) {
      if (isCryptoError(e, CryptoErrorCode.UNSUPPORTED_TOKEN_TYPE)) throw await refuse('token type is not 2 (Blind RSA)');
      if (!isCryptoError(e)) throw e;
      this.outcomes.invalid(location);
      throw badRequest('token is not an RFC 9578 Token of the right length');
    }
    const key = await this.directory.keyFor(token.tokenKeyId);
    if (!key) throw await refuse('token was issued under an unknown or retired key');
    // Consumer keys answer our own issuer's challenge, a tenant's keys only that tenant issuer's.
    const challenge = this.challenge.forIssuer(key.issuer);
    if (!equalBytes(token.challengeDigest, challenge.digest)) throw await refuse('token answers another challenge');
    if (!verifyToken(key.publicKey, token, challenge.digest)) throw await refuse('token signature does not verify');
    return { token, key };
  }

  /** 401 INVALID_TOKEN, with a fresh challenge when a key is known (RFC 9577 §2.1). */
  private async invalid(why: string): Promise<AppError> {
    try {
      return invalidToken(why, { 'WWW-Authenticate': await this.wwwAuthenticate() });
    } catch {
      return invalidToken(why);
    }
  }

}
