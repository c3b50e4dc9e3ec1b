// `npm run client -- tenant …`: a tenant's user (API.md "B2B tenants", seed 003's workflow) —
// register or log in with the tenant's API key, add a device, get tokens of the tenant's own issuer
// for it (blinded here), redeem one for a WireGuard config (and, in development, bring the tunnel
// up), release the lease, read the tenant's usage. State: tenant-state.ts.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PLATFORM_LAB } from '../platform/netns';
import * as api from './api';
import { ApiError, ClientError, UsageError } from './errors';
import { issueTenantTokens, redeemTenant, tokenSpentBy } from './protocol';
import { jwtExpiry, withPrivateKey, writeSecretFile } from './state';
import { loadTenantState, saveTenantState, TenantSession, TenantState, tenantStatus, withLogin, withoutTenantToken } from './tenant-state';
import { down, up } from './tunnel';
import type { Io, Parsed } from './cli';

/** What `cli.ts` lends the tenant commands (kept there, shared with the consumer commands). */
export interface TenantHelpers {
  /** A required string option, or a UsageError naming it. */
  need: (option: string) => string;
  /** `--count`: 1..20, default 5. */
  parseCount: (value: string | boolean | undefined) => number;
}

/** Access tokens live 15 minutes (API.md); refreshed a minute before. */
const ACCESS_TOKEN_FALLBACK_MS = 15 * 60_000;
const REFRESH_MARGIN_MS = 60_000;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function isDay(value: string): boolean {
  const m = DAY.exec(value);
  if (!m) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * `tenant usage --from --to`: whole UTC days `YYYY-MM-DD`, `from` not after `to`; by default from
 * the first of the current month to today.
 */
export function parseUsageRange(from: string | undefined, to: string | undefined, now: Date): { from: string; to: string } {
  const today = now.toISOString().slice(0, 10);
  const end = to ?? today;
  const start = from ?? `${end.slice(0, 8)}01`;
  for (const [name, value] of [
    ['--from', start],
    ['--to', end],
  ] as const) {
    if (!isDay(value)) throw new UsageError(`${name} must be a day as YYYY-MM-DD (got "${value}")`);
  }
  if (start > end) throw new UsageError(`--from (${start}) is after --to (${end})`);
  return { from: start, to: end };
}

const show = (io: Io, value: unknown): void => {
  io.out(JSON.stringify(value, null, 2));
};

/** Runs one `tenant …` command. */
export async function runTenant(p: Parsed, io: Io, h: TenantHelpers): Promise<number | void> {
  const now = io.now ?? (() => new Date());
  const e = p.endpoints;
  const str = (k: string): string | undefined => (typeof p.values[k] === 'string' && p.values[k] !== '' ? (p.values[k] as string) : undefined);
  let state: TenantState = loadTenantState(p.stateDir);
  const save = () => saveTenantState(p.stateDir, state);
  const lab = io.lab ?? PLATFORM_LAB;
  /** Flag, then environment, then the logged-in session's. */
  const apiKey = (): string | undefined => str('api-key') ?? (io.env.PHOENIX_TENANT_API_KEY || undefined) ?? state.session?.apiKey;
  const session = (): TenantSession => {
    if (!state.session) throw new ClientError('not logged in to a tenant: run `tenant register` or `tenant login` first');
    return state.session;
  };
  const expiry = (jwt: string) => jwtExpiry(jwt) ?? now().getTime() + ACCESS_TOKEN_FALLBACK_MS;
  /** A valid access token, refreshed (the pair rotates) when about to expire. */
  const accessToken = async (): Promise<string> => {
    const s = session();
    if (s.accessTokenExpiresAt - REFRESH_MARGIN_MS > now().getTime()) return s.accessToken;
    const r = await api.tenantRefresh(e, s.apiKey, s.refreshToken);
    state.session = { ...s, accessToken: r.accessToken, refreshToken: r.refreshToken, accessTokenExpiresAt: expiry(r.accessToken) };
    save();
    return r.accessToken;
  };

  switch (p.command) {
    case 'tenant register':
    case 'tenant login': {
      const key = apiKey();
      if (!key) throw new UsageError('--api-key is required (or PHOENIX_TENANT_API_KEY): the API key the tenant was given');
      const email = h.need('email');
      const password = h.need('password');
      const prev = state.session;
      if (state.lease && !(prev && prev.apiKey === key && prev.email.toLowerCase() === email.toLowerCase())) {
        throw new ClientError(`a lease of ${prev?.email ?? 'an earlier login'} is still held: run \`tenant release\` first`);
      }
      const r = p.command === 'tenant register' ? await api.tenantRegister(e, key, email, password) : await api.tenantLogin(e, key, email, password);
      const me = await api.tenantMe(e, key, r.accessToken);
      state = withLogin(state, { apiKey: key, tenantId: me.tenantId, userId: r.user.id, email: r.user.email, accessToken: r.accessToken, accessTokenExpiresAt: expiry(r.accessToken), refreshToken: r.refreshToken });
      save();
      io.out(`${p.command === 'tenant register' ? 'registered' : 'logged in'} as ${r.user.email} (user ${r.user.id}) of tenant ${me.tenantId}; session kept in ${join(p.stateDir, 'tenant.json')}`);
      return;
    }
    case 'tenant device add': {
      const s = session();
      const d = await api.tenantAddDevice(e, s.apiKey, await accessToken(), h.need('name'), h.need('platform'));
      state.device = { id: d.id, deviceName: d.deviceName, platform: d.platform };
      save();
      io.out(`device "${d.deviceName}" (${d.platform}) added: ${d.id}; \`tenant tokens\` gets tokens for it`);
      return;
    }
    case 'tenant tokens': {
      const count = h.parseCount(p.values.count);
      const s = session();
      if (!state.device) throw new ClientError('no device: run `tenant device add --name <name> --platform <platform>` first');
      const batch = await issueTenantTokens(e, s.apiKey, await accessToken(), s.tenantId, state.device.id, count, now());
      state.tokens = [...state.tokens.filter((t) => Date.parse(t.expiresAt) > now().getTime()), ...batch.tokens];
      save();
      io.out(
        `got ${count} token(s) of issuer ${batch.issuer}, blinded here and signed by auth-service for device ${state.device.id}; holding ${state.tokens.length} (these expire ${batch.tokens[0]?.expiresAt ?? '?'})`,
      );
      return;
    }
    case 'tenant redeem': {
      if (state.lease && Date.parse(state.lease.expiresAt) > now().getTime()) {
        throw new ClientError(`a lease is held (node ${state.lease.nodeId}, until ${state.lease.expiresAt}): run \`tenant release\` first`);
      }
      const location = str('location') ?? 'auto';
      const token = state.tokens.filter((t) => Date.parse(t.expiresAt) > now().getTime()).sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt))[0];
      if (!token) throw new ClientError('no tenant tokens left: run `tenant tokens` first');
      let result;
      try {
        result = await redeemTenant(e, token.token, location);
      } catch (error) {
        if (tokenSpentBy(error)) {
          state = withoutTenantToken(state, token.token);
          save();
        }
        throw error;
      }
      const out = resolve(str('out') ?? join(p.stateDir, 'wg-phoenix-tenant.conf'));
      writeSecretFile(out, withPrivateKey(result.reply.config, result.lease.privateKey));
      state = withoutTenantToken(state, token.token);
      state.lease = { ...result.lease, configFile: out };
      save();
      const l = state.lease;
      io.out(`config for node ${l.nodeId} in ${l.location}, endpoint ${l.peer.endpoint}, addresses ${l.addresses.join(' ')}, until ${l.expiresAt}; lease ${l.leaseId}`);
      io.out(`wrote ${out} (mode 0600, with this machine's private key); ${state.tokens.length} token(s) left`);
      if (p.values.up !== true) return;
      io.out(`bringing up ${lab.iface.wgClient} in namespace ${lab.clientNs} to ${l.peer.endpoint} ...`);
      const results = await up(lab, l, p.stateDir);
      state.lease = { ...l, tunnelUp: true };
      save();
      for (const r of results) io.out(`  ping ${r.target.padEnd(15)} ${r.ok ? `ok${r.rttMs !== undefined ? ` (${r.rttMs} ms)` : ''}` : 'NO ANSWER'}  — ${r.what}`);
      if (!results.every((r) => r.ok)) throw new ClientError('the tunnel is up but not everything answered (see above); `tenant release` ends the lease and takes it down');
      io.out(`tunnel up. \`tenant release\` ends the lease and takes the tunnel down`);
      return;
    }
    case 'tenant release': {
      const l = state.lease;
      if (!l) throw new ClientError('no lease held: nothing to release');
      let already = false;
      try {
        await api.releaseLease(e, l.leaseId, l.releaseToken);
      } catch (error) {
        // Unknown, already ended or expired: the same answer (API.md); nothing left to end.
        if (!(error instanceof ApiError && error.code === 'UNKNOWN_LEASE')) throw error;
        already = true;
      }
      if (l.tunnelUp) await down(lab);
      rmSync(l.configFile, { force: true });
      state.lease = undefined;
      save();
      io.out(
        already
          ? `lease ${l.leaseId} had already ended (expired or released); dropped here${l.tunnelUp ? ', tunnel down' : ''}`
          : `lease ${l.leaseId} released: node ${l.nodeId} drops the peer now${l.tunnelUp ? '; tunnel down' : ''}; removed ${l.configFile}`,
      );
      return;
    }
    case 'tenant usage': {
      const key = apiKey();
      if (!key) throw new UsageError('--api-key is required (or PHOENIX_TENANT_API_KEY, or a `tenant login` first)');
      const range = parseUsageRange(str('from'), str('to'), now());
      // The logged-in user's access token goes along when the session is this key's; the usage is the tenant's either way.
      const bearer = state.session?.apiKey === key ? await accessToken().catch(() => undefined) : undefined;
      return show(io, await api.tenantUsage(e, key, bearer, range.from, range.to));
    }
    case 'tenant status':
      return show(io, tenantStatus(state, p.stateDir, now()));
    default:
      throw new UsageError(`unknown command: ${p.command}`);
  }
}
