// The reference client's command line: `npm run client -- <command> [options]`.
// Each command is a few calls of api.ts / protocol.ts; read them as the protocol's reference.
import { join, resolve } from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import { LabLayout, NODE_GATEWAY_V4, PLATFORM_LAB } from '../platform/netns';
import * as api from './api';
import { checkName, parsePublicKey, platformBlocklistFile, platformBlocklistSettings, updateBlocklist } from './blocklist';
import { ApiError, ClientError, describeError, exitCodeFor, UsageError } from './errors';
import { platformGateways } from './platform';
import { issueTokens, MAX_BATCH, redeem, tokenSpentBy } from './protocol';
import { batches, countByType, DEFAULT_EVENT_COUNT, generateTelemetry, MAX_EVENT_COUNT, MAX_EVENTS_PER_BATCH } from './telemetry';
import { ClientState, defaultStateDir, jwtExpiry, loadState, saveState, usableTokens, withoutToken, withPrivateKey, writeSecretFile } from './state';
import { runTenant } from './tenant';
import { down, up } from './tunnel';

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  /** The namespaces `up`/`down` use (tests pass a tagged lab). */
  lab?: LabLayout;
}

type Options = NonNullable<ParseArgsConfig['options']>;

const GLOBAL: Options = {
  'state-dir': { type: 'string' },
  'auth-url': { type: 'string' },
  'config-url': { type: 'string' },
  'firebase-emulator': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

interface Command {
  summary: string;
  usage: string;
  details: string;
  options: Options;
}

export const COMMANDS: Record<string, Command> = {
  signup: {
    summary: 'create a Firebase account and sign in',
    usage: 'signup --email <email> --password <password>',
    details: 'Creates the account with Firebase Auth (the emulator in development) and keeps the ID token in the state file. auth-service creates its user on the first `account`.',
    options: { email: { type: 'string' }, password: { type: 'string' } },
  },
  signin: {
    summary: 'sign in to an existing Firebase account',
    usage: 'signin --email <email> --password <password>',
    details: 'Replaces the session in the state file. (Expired ID tokens are refreshed by themselves with the refresh token.)',
    options: { email: { type: 'string' }, password: { type: 'string' } },
  },
  account: { summary: 'show the account (GET /account)', usage: 'account', details: 'Creates the user on auth-service on the first call.', options: {} },
  subscription: { summary: 'show the subscription (GET /account/subscription)', usage: 'subscription', details: '`entitled: true` means token requests are signed.', options: {} },
  trial: { summary: 'start the one-time trial (POST /account/trial)', usage: 'trial', details: 'Each Firebase account gets one trial (409 TRIAL_USED after).', options: {} },
  directory: { summary: "show auth-service's issuer directory", usage: 'directory', details: 'GET /.well-known/private-token-issuer-directory: the token keys (current, next, still-redeemable).', options: {} },
  challenge: { summary: "show config-service's token challenge", usage: 'challenge', details: 'GET /vpn/token-challenge: the TokenChallenge every token must be made for.', options: {} },
  tokens: {
    summary: 'get anonymous tokens (blinded here, signed by auth-service)',
    usage: `tokens [--count N]      (N: 1-${MAX_BATCH}, default 5)`,
    details:
      'Makes N random token requests and blinds them locally, sends only the blinded messages (POST /auth/vpn-token), unblinds and verifies the signatures, and stores the finished tokens in the state file (mode 0600). auth-service never sees a token, so it cannot recognise one later. Prints how many tokens are held.',
    options: { count: { type: 'string' } },
  },
  locations: { summary: 'list locations (GET /locations)', usage: 'locations', details: 'No identity is sent to config-service, ever.', options: {} },
  redeem: {
    summary: 'spend one token for a WireGuard config',
    usage: 'redeem [--location <id>|auto] [--out <wg.conf>]',
    details:
      'Generates a WireGuard key pair here (the private key never leaves this machine), sends one token (Authorization: PrivateToken) and the public key to config-service (POST /vpn/config), and writes the wg-quick file with the private key filled in (mode 0600; default <state-dir>/wg-phoenix.conf). A spent or refused token is dropped; on NO_CAPACITY, UNKNOWN_LOCATION or UNAVAILABLE it is kept (not spent).',
    options: { location: { type: 'string' }, out: { type: 'string' } },
  },
  up: {
    summary: 'development: bring the tunnel up in a network namespace and ping through it',
    usage: 'up',
    details:
      'Needs root and the local VPN node of `npm run platform` (namespace phx-node). Creates namespace phx-client linked to the node (198.18.0.6 ↔ 198.18.0.5), runs wireguard-go there with the last redeemed lease, routes everything through the tunnel, then pings the node\'s tunnel gateway and the "internet" namespace 198.18.0.10 (reachable only through the node\'s NAT). Try more: ip netns exec phx-client ping 100.64.0.1',
    options: {},
  },
  down: { summary: 'development: take the tunnel down', usage: 'down', details: 'Stops the client\'s wireguard-go (by pid) and deletes namespace phx-client with its link.', options: {} },
  'blocklist update': {
    summary: 'download and verify the published blocklist',
    usage: 'blocklist update [--blocklist-url <url> --blocklist-key <public key>]',
    details:
      'GET <url>/blocklist/latest.json (--blocklist-url, PHOENIX_BLOCKLIST_URL: BLOCKLIST_PUBLIC_URL), checks its Ed25519 signature against the pinned public key (--blocklist-key, PHOENIX_BLOCKLIST_PUBLIC_KEY: 32 bytes, base64 or hex; without either, the URL and key npm run platform wrote to .stack/platform/blocklist.env), downloads the filter it names and checks its size and sha256, refuses a version older than the one held, and keeps filter and manifest in <state-dir>/blocklist (mode 0600). A rejected download leaves the held filter in place (exit code 4).',
    options: { 'blocklist-url': { type: 'string' }, 'blocklist-key': { type: 'string' } },
  },
  'blocklist check': {
    summary: 'is a name blocked? (local filter only; exit 0 blocked, 1 not)',
    usage: 'blocklist check <name>',
    details:
      'Looks the name, then each parent domain, up in the filter held by `blocklist update`, as DNS blockers do; nothing is sent anywhere. Exit code 0 when blocked, 1 when not (like grep), 2 bad usage, 4 no filter held. Bloom filter: "blocked" can be a false positive at the published rate; "not blocked" is certain.',
    options: {},
  },
  telemetry: {
    summary: 'send a realistic mix of anonymous telemetry to analytics-service',
    usage: `telemetry [--count N] [--analytics-url <url>]      (N: 1-${MAX_EVENT_COUNT}, default ${DEFAULT_EVENT_COUNT})`,
    details: `Makes N events of the four types of API.md (connection, throughput, session, blocking) for the locations of GET /locations, spread over a few hours of the last day, and sends them to analytics-service (POST /v1/events, --analytics-url, PHOENIX_ANALYTICS_URL; default: its gateway from .stack/platform/gateways.env, else http://127.0.0.1:3003) in batches of at most ${MAX_EVENTS_PER_BATCH}. Prints how many were accepted. The events carry no identity and no ids: platform, app version, hour, location and coarse numbers only. A refused batch (400 VALIDATION_FAILED, 503 UNAVAILABLE with Retry-After) stops the run and says how far it got.`,
    options: { count: { type: 'string' }, 'analytics-url': { type: 'string' } },
  },
  status: { summary: 'show what the state file holds (no secrets)', usage: 'status', details: 'Session email, tokens held, current lease.', options: {} },
  'tenant register': {
    summary: "a business's user: register with the tenant's API key",
    usage: 'tenant register --api-key <key> --email <email> --password <password>',
    details:
      "POST /api/v1/auth/register (X-API-Key: the tenant's key; --api-key, PHOENIX_TENANT_API_KEY; password ≥ 10 characters), then GET /api/v1/auth/me for the tenant id. Keeps the login (API key, access and refresh tokens) in <state-dir>/tenant.json (mode 0600), apart from the consumer's state.json; another user's login there is replaced (refused while its lease is held). Access tokens (15 min) are refreshed by themselves.",
    options: { 'api-key': { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
  },
  'tenant login': {
    summary: "a business's user: log in with the tenant's API key",
    usage: 'tenant login --api-key <key> --email <email> --password <password>',
    details: 'POST /api/v1/auth/login, then GET /api/v1/auth/me; kept as `tenant register` keeps it. The same user again keeps device, tokens and lease.',
    options: { 'api-key': { type: 'string' }, email: { type: 'string' }, password: { type: 'string' } },
  },
  'tenant device add': {
    summary: 'add a device (tokens are issued per device)',
    usage: 'tenant device add --name <device name> --platform <platform>',
    details: "POST /api/v1/devices {deviceName, platform} (403 PLAN_LIMIT past the plan's devices per user); the new device becomes the one `tenant tokens` gets tokens for. Only a name and a platform: no key or address of the device goes to auth-service.",
    options: { name: { type: 'string' }, platform: { type: 'string' } },
  },
  'tenant tokens': {
    summary: "get anonymous tokens of the tenant's own issuer (blinded here)",
    usage: `tenant tokens [--count N]      (N: 1-${MAX_BATCH}, default 5)`,
    details:
      "The tenant's issuer name from GET /token-issuers, its current key from GET /tenants/<id>/.well-known/private-token-issuer-directory, config-service's challenge for that issuer (GET /vpn/token-challenge?issuer=<name>); N token requests blinded here (@phoenix/client-protocol), only the blinded messages sent (POST /api/v1/devices/<device>/tokens, counted per device per day: 429 QUOTA_EXCEEDED), unblinded and verified here, kept in tenant.json. config-service will know the tenant of a token, never the user or the device.",
    options: { count: { type: 'string' } },
  },
  'tenant redeem': {
    summary: 'spend one tenant token for a WireGuard config (--up: bring the tunnel up)',
    usage: 'tenant redeem [--location <id>|auto] [--out <wg.conf>] [--up]',
    details:
      'As `redeem`, with a tenant token: a key pair made here, one token and the public key to POST /vpn/config; keeps the lease id and release token of the answer in tenant.json and writes the wg-quick file (mode 0600; default <state-dir>/wg-phoenix-tenant.conf). Refused while a lease is held (`tenant release` first). --up (development, root, `npm run platform`): the tunnel in namespace phx-client, as `up`.',
    options: { location: { type: 'string' }, out: { type: 'string' }, up: { type: 'boolean' } },
  },
  'tenant release': {
    summary: 'end the lease at once (DELETE /vpn/config)',
    usage: 'tenant release',
    details:
      "DELETE /vpn/config {leaseId, releaseToken}: config-service ends the lease and its node drops the peer at once — a disconnect that needs no identity. An unknown or already ended lease (404 UNKNOWN_LEASE) is dropped here too. Takes the tunnel down if `tenant redeem --up` brought it up, and removes the lease's wg-quick file.",
    options: {},
  },
  'tenant usage': {
    summary: "the tenant's usage per day (connections, hours, gigabytes)",
    usage: 'tenant usage [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--api-key <key>]',
    details:
      "GET /api/v1/usage?from&to (X-API-Key: --api-key, PHOENIX_TENANT_API_KEY or the login's; the login's access token goes along when it is that key's). Whole UTC days (default: the first of this month to today); tenant totals only, nothing per user or device.",
    options: { from: { type: 'string' }, to: { type: 'string' }, 'api-key': { type: 'string' } },
  },
  'tenant status': { summary: 'show what tenant.json holds (no secrets)', usage: 'tenant status', details: 'Tenant, login email, device, tokens held, current lease.', options: {} },
};

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    "Phoenix reference client — sign up, get anonymous tokens, redeem one for a WireGuard config; or the same as a business's user (tenant …).",
    '',
    'usage: npm run client -- <command> [options]      (help for one: <command> --help)',
    '',
    'commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    'options of every command:',
    '  --state-dir <dir>          state file directory (PHOENIX_CLIENT_STATE_DIR, default ~/.phoenix-client)',
    '  --auth-url <url>           auth-service (PHOENIX_AUTH_URL; default: its gateway, as npm run platform wrote',
    '                             it to .stack/platform/gateways.env, else http://127.0.0.1:3001)',
    '  --config-url <url>         config-service (PHOENIX_CONFIG_URL; default: its gateway from the same file,',
    '                             else http://127.0.0.1:3002)',
    '  --firebase-emulator <h:p>  Firebase Auth emulator (FIREBASE_AUTH_EMULATOR_HOST, default 127.0.0.1:59099;',
    '                             "none" with FIREBASE_API_KEY for the real Firebase)',
  ].join('\n');
}

export function commandHelp(name: string): string {
  const c = COMMANDS[name];
  if (!c) return mainHelp();
  return [`usage: npm run client -- ${c.usage}`, '', c.summary + '.', '', c.details, '', 'Also: --state-dir, --auth-url, --config-url, --firebase-emulator (see --help).'].join('\n');
}

export interface Parsed {
  command: string;
  values: Record<string, string | boolean | undefined>;
  stateDir: string;
  endpoints: api.Endpoints;
}

/** Parses argv (after the program name) into the command, its options and the endpoints. Throws ClientError on bad usage. */
export function parse(argv: string[], env: NodeJS.ProcessEnv): Parsed | { help: string } {
  let [command, ...rest] = argv;
  // Commands of two or three words (`blocklist update`, `tenant device add`): the longest that is one.
  for (let n = 3; n >= 2; n--) {
    const name = argv.slice(0, n).join(' ');
    if (argv.length >= n && COMMANDS[name]) {
      [command, rest] = [name, argv.slice(n)];
      break;
    }
  }
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') return { help: mainHelp() };
  const spec = COMMANDS[command];
  if (!spec) {
    // A group without its subcommand (`tenant`, `tenant device`): its commands.
    const group = Object.keys(COMMANDS).filter((c) => c.startsWith(`${command} `));
    if (group.length && !rest.some((a) => a !== '--help' && a !== '-h')) {
      const list = `${command} commands:\n${group.map((c) => `  ${c}  ${COMMANDS[c]?.summary ?? ''}`).join('\n')}`;
      if (rest.length) return { help: `${list}\n\n(help for one: <command> --help)` };
      throw new UsageError(`${command} needs a subcommand\n\n${list}`);
    }
    throw new UsageError(`unknown command: ${argv.slice(0, 3).join(' ')}\n\n${mainHelp()}`);
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...spec.options }, allowPositionals: command === 'blocklist check', strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${commandHelp(command)}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return { help: commandHelp(command) };
  if (command === 'blocklist check') {
    if (parsed.positionals.length !== 1) throw new UsageError(`blocklist check takes one name\n\n${commandHelp(command)}`);
    values.name = parsed.positionals[0];
  }
  const str = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const emulator = str('firebase-emulator') ?? env.FIREBASE_AUTH_EMULATOR_HOST ?? (env.FIREBASE_API_KEY ? 'none' : '127.0.0.1:59099');
  // Flag, then environment, then the gateways a development `npm run platform` wrote, then the
  // services' own ports.
  const gateways = platformGateways(env);
  return {
    command,
    values,
    stateDir: resolve(str('state-dir') ?? defaultStateDir(env)),
    endpoints: {
      authUrl: (str('auth-url') ?? env.PHOENIX_AUTH_URL ?? gateways.PHOENIX_AUTH_URL ?? 'http://127.0.0.1:3001').replace(/\/$/, ''),
      configUrl: (str('config-url') ?? env.PHOENIX_CONFIG_URL ?? gateways.PHOENIX_CONFIG_URL ?? 'http://127.0.0.1:3002').replace(/\/$/, ''),
      analyticsUrl: (str('analytics-url') ?? env.PHOENIX_ANALYTICS_URL ?? gateways.PHOENIX_ANALYTICS_URL ?? 'http://127.0.0.1:3003').replace(/\/$/, ''),
      firebaseEmulator: emulator === 'none' ? null : emulator,
      firebaseApiKey: env.FIREBASE_API_KEY ?? 'fake-api-key',
    },
  };
}

/** `--count`: an integer 1..20, default 5. */
export function parseCount(value: string | boolean | undefined): number {
  if (value === undefined) return 5;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BATCH) throw new UsageError(`--count must be an integer from 1 to ${MAX_BATCH}`);
  return n;
}

/** `telemetry --count`: an integer 1..MAX_EVENT_COUNT, default DEFAULT_EVENT_COUNT. */
export function parseEventCount(value: string | boolean | undefined): number {
  if (value === undefined) return DEFAULT_EVENT_COUNT;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_EVENT_COUNT) throw new UsageError(`--count must be an integer from 1 to ${MAX_EVENT_COUNT}`);
  return n;
}

/** Runs one command; resolves with the exit code (0 ok, 1 refused by the API, 2 usage, 3 unreachable/unavailable, 4 local failure). */
export async function run(argv: string[], io: Io): Promise<number> {
  let p: Parsed;
  try {
    const r = parse(argv, io.env);
    if ('help' in r) {
      io.out(r.help);
      return 0;
    }
    p = r;
  } catch (error) {
    io.err(describeError(error));
    return 2;
  }
  try {
    // Only a number is an exit code: commands end with `return show(…)`/`io.out(…)`, whose value is the writer's.
    const code = await execute(p, io);
    return typeof code === 'number' ? code : 0;
  } catch (error) {
    io.err(`error: ${describeError(error)}`);
    return exitCodeFor(error);
  }
}

const show = (io: Io, value: unknown): void => {
  io.out(JSON.stringify(value, null, 2));
};

/** Runs a command; a command with its own exit code (`blocklist check`) returns it. */
async function execute(p: Parsed, io: Io): Promise<number | void> {
  const now = io.now ?? (() => new Date());
  const e = p.endpoints;
  const need = (k: string): string => {
    const v = p.values[k];
    if (typeof v !== 'string' || v === '') throw new UsageError(`--${k} is required\n\n${commandHelp(p.command)}`);
    return v;
  };
  // The tenant commands keep their own state file (tenant.json) and never read the consumer's.
  if (p.command.startsWith('tenant ')) return runTenant(p, io, { need, parseCount });
  let state: ClientState = loadState(p.stateDir);
  const save = () => saveState(p.stateDir, state);

  /** A valid ID token, refreshed when it is about to expire. */
  const idToken = async (): Promise<string> => {
    const s = state.session;
    if (!s) throw new ClientError('not signed in: run `signup` or `signin` first');
    if (s.idTokenExpiresAt - 60_000 > now().getTime()) return s.idToken;
    const r = await api.firebaseRefresh(e, s.refreshToken);
    state.session = { ...s, idToken: r.id_token, refreshToken: r.refresh_token, idTokenExpiresAt: jwtExpiry(r.id_token) ?? now().getTime() + Number(r.expires_in) * 1000 };
    save();
    return r.id_token;
  };

  switch (p.command) {
    case 'signup':
    case 'signin': {
      const email = need('email');
      const password = need('password');
      const s = p.command === 'signup' ? await api.firebaseSignUp(e, email, password) : await api.firebaseSignIn(e, email, password);
      state.session = { email: s.email ?? email, uid: s.localId, idToken: s.idToken, refreshToken: s.refreshToken, idTokenExpiresAt: jwtExpiry(s.idToken) ?? now().getTime() + Number(s.expiresIn) * 1000 };
      save();
      io.out(`${p.command === 'signup' ? 'signed up' : 'signed in'} as ${state.session.email} (session kept in ${join(p.stateDir, 'state.json')})`);
      return;
    }
    case 'account':
      return show(io, await api.getAccount(e, await idToken()));
    case 'subscription':
      return show(io, await api.getSubscription(e, await idToken()));
    case 'trial':
      return show(io, await api.startTrial(e, await idToken()));
    case 'directory':
      return show(io, await api.getDirectory(e));
    case 'challenge':
      return show(io, await api.getChallenge(e));
    case 'locations': {
      const locations = await api.getLocations(e);
      for (const l of locations) io.out(`${l.id.padEnd(10)} ${l.country} ${l.city.padEnd(14)} ${l.available ? `available, load ${l.load}` : 'unavailable'}`);
      return;
    }
    case 'tokens': {
      const count = parseCount(p.values.count);
      const batch = await issueTokens(e, await idToken(), count, now());
      state.tokens = [...usableTokens(state.tokens, now()), ...batch.tokens];
      save();
      io.out(`got ${count} token(s), blinded here and signed by auth-service; holding ${state.tokens.length} (these expire ${batch.tokens[0]?.expiresAt ?? '?'})`);
      return;
    }
    case 'redeem': {
      const location = typeof p.values.location === 'string' ? p.values.location : 'auto';
      const tokens = usableTokens(state.tokens, now());
      const token = tokens[0];
      if (!token) throw new ClientError('no tokens left: run `tokens` first');
      let result;
      try {
        result = await redeem(e, token.token, location);
      } catch (error) {
        if (tokenSpentBy(error)) {
          state = withoutToken(state, token.token);
          save();
        }
        throw error;
      }
      const out = resolve(typeof p.values.out === 'string' ? p.values.out : join(p.stateDir, 'wg-phoenix.conf'));
      writeSecretFile(out, withPrivateKey(result.reply.config, result.lease.privateKey));
      state = withoutToken(state, token.token);
      state.lease = { ...result.lease, configFile: out };
      save();
      io.out(`config for node ${result.lease.nodeId} in ${result.lease.location}, endpoint ${result.lease.peer.endpoint}, addresses ${result.lease.addresses.join(' ')}, until ${result.lease.expiresAt}`);
      io.out(`wrote ${out} (mode 0600, with this machine's private key); ${state.tokens.length} token(s) left`);
      return;
    }
    case 'up': {
      if (!state.lease) throw new ClientError('no lease: run `redeem` first');
      if (Date.parse(state.lease.expiresAt) <= now().getTime()) throw new ClientError('the lease has expired: run `redeem` again');
      const lab = io.lab ?? PLATFORM_LAB;
      io.out(`bringing up ${lab.iface.wgClient} in namespace ${lab.clientNs} (addresses ${state.lease.addresses.join(' ')}) to ${state.lease.peer.endpoint} ...`);
      const results = await up(lab, state.lease, p.stateDir);
      for (const r of results) io.out(`  ping ${r.target.padEnd(15)} ${r.ok ? `ok${r.rttMs !== undefined ? ` (${r.rttMs} ms)` : ''}` : 'NO ANSWER'}  — ${r.what}`);
      if (!results.every((r) => r.ok)) throw new ClientError('the tunnel is up but not everything answered (see above); `down` removes it');
      io.out(`tunnel up. Try: ip netns exec ${lab.clientNs} ping ${results[0]?.target ?? NODE_GATEWAY_V4}   |   ip netns exec ${lab.clientNs} wg show`);
      return;
    }
    case 'down': {
      const lab = io.lab ?? PLATFORM_LAB;
      io.out((await down(lab)) ? `tunnel down (namespace ${lab.clientNs} removed)` : 'no tunnel was up');
      return;
    }
    case 'blocklist update': {
      // Flag, then environment, then what a development `npm run platform` wrote.
      const platform = platformBlocklistSettings(io.env);
      const url = (typeof p.values['blocklist-url'] === 'string' ? p.values['blocklist-url'] : undefined) ?? io.env.PHOENIX_BLOCKLIST_URL ?? platform.url;
      const key = (typeof p.values['blocklist-key'] === 'string' ? p.values['blocklist-key'] : undefined) ?? io.env.PHOENIX_BLOCKLIST_PUBLIC_KEY ?? platform.key;
      const none = `(${platformBlocklistFile(io.env)}, written by npm run platform, is not there either)`;
      if (!url) throw new UsageError(`--blocklist-url (or PHOENIX_BLOCKLIST_URL) is required ${none}\n\n${commandHelp(p.command)}`);
      if (!key) throw new UsageError(`--blocklist-key (or PHOENIX_BLOCKLIST_PUBLIC_KEY) is required: the pinned Ed25519 public key ${none}\n\n${commandHelp(p.command)}`);
      const r = await updateBlocklist(p.stateDir, url, parsePublicKey(key));
      const m = r.manifest;
      io.out(
        r.changed
          ? `blocklist version ${m.version} (${m.createdAt}): ${m.domains} domains, ${m.size} bytes, p = ${m.falsePositiveRate}; signature, size and sha256 verified${r.previousVersion !== null ? ` (was version ${r.previousVersion})` : ''}; kept in ${join(p.stateDir, 'blocklist')}`
          : `blocklist already up to date (version ${m.version}, ${m.domains} domains)`,
      );
      return 0;
    }
    case 'blocklist check': {
      const r = checkName(p.stateDir, String(p.values.name));
      io.out(r.blockedBy === null ? `${r.name}: not blocked (blocklist version ${r.version})` : `${r.name}: blocked${r.blockedBy !== r.name ? ` (listed: ${r.blockedBy})` : ''} (blocklist version ${r.version})`);
      return r.blockedBy === null ? 1 : 0;
    }
    case 'telemetry': {
      const count = parseEventCount(p.values.count);
      const locations = await api.getLocations(e);
      if (locations.length === 0) throw new ClientError('config-service lists no locations: nothing to send telemetry for');
      const events = generateTelemetry({ locations, count, now: now(), random: Math.random });
      const parts = batches(events);
      let accepted = 0;
      for (const [i, batch] of parts.entries()) {
        try {
          accepted += (await api.postEvents(e, batch)).accepted;
        } catch (error) {
          io.err(`batch ${i + 1} of ${parts.length} refused; ${accepted} of ${events.length} events were accepted before it`);
          throw error;
        }
      }
      const c = countByType(events);
      const hours = new Set(events.map((x) => x.at.slice(0, 13))).size;
      io.out(
        `analytics-service accepted ${accepted} of ${events.length} events (${c.connection} connection, ${c.throughput} throughput, ${c.session} session, ${c.blocking} blocking) for ${locations.length} locations over ${hours} hours, in ${parts.length} batch(es)`,
      );
      return;
    }
    case 'status': {
      const tokens = usableTokens(state.tokens, now());
      show(io, {
        stateFile: join(p.stateDir, 'state.json'),
        signedInAs: state.session?.email ?? null,
        tokens: tokens.length,
        nextTokenExpires: tokens[0]?.expiresAt ?? null,
        lease: state.lease ? { node: state.lease.nodeId, location: state.lease.location, endpoint: state.lease.peer.endpoint, addresses: state.lease.addresses, expiresAt: state.lease.expiresAt, configFile: state.lease.configFile } : null,
      });
      return;
    }
    default:
      throw new ApiError('client', 0, 'UNKNOWN', p.command);
  }
}
