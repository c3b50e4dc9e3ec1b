// The only module of this library that does IO: it runs `wg`, `ip` and `nft`. Everything else is
// pure. Commands are always run with execFile and an argument array — never a shell string — and
// every argument is validated first, so no input can become a second command or an extra option.
import { execFile } from 'node:child_process';

import { assertArray, assertInteger, describe, fail } from '../assert';
import { formatAddressWithPrefix, parseAddressWithPrefix } from '../cidr';
import { parseWgDump, WgDump } from '../dump';
import { WireGuardError, WireGuardErrorCode } from '../errors';
import { assertInterfaceName } from '../interface-name';
import { assertWireGuardKey } from '../keys';
import { NFT_TABLE_FAMILY, NFT_TABLE_NAME } from '../nftables';
import { PeerDiff, wgSetPeerArgs } from '../peer-diff';

/** Output of a finished command. */
export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link CommandRunner.run}. */
export interface RunOptions {
  /** Written to the command's stdin (how secrets and rulesets are passed, never argv). */
  readonly input?: string;
}

/**
 * Runs one program with an argument array. Rejects with a {@link CommandError} on a non-zero
 * exit. Services take this interface so tests can substitute a fake that records argv.
 */
export interface CommandRunner {
  run(cmd: string, args: readonly string[], opts?: RunOptions): Promise<CommandResult>;
}

/** A command exited non-zero, was killed, or could not start. Its output is kept for diagnosis. */
export class CommandError extends WireGuardError {
  constructor(
    readonly cmd: string,
    readonly args: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(WireGuardErrorCode.COMMAND_FAILED, `${cmd} ${args[0] ?? ''} failed (exit ${exitCode ?? 'none'}): ${stderr.trim().slice(0, 200)}`, options);
  }
}

/** Options of {@link ExecFileRunner}. */
export interface ExecFileRunnerOptions {
  /** Kill the command after this many milliseconds. Default 30 s. */
  readonly timeoutMs?: number;
  /** Largest stdout/stderr accepted. Default 64 MiB (a dump of 100k peers is ~20 MiB). */
  readonly maxBufferBytes?: number;
}

/**
 * {@link CommandRunner} over `child_process.execFile` (no shell). Runs with `LC_ALL=C` so error
 * text is stable, and writes `input` to stdin.
 */
export class ExecFileRunner implements CommandRunner {
  private readonly timeoutMs: number;
  private readonly maxBufferBytes: number;

  constructor(options: ExecFileRunnerOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxBufferBytes = options.maxBufferBytes ?? 64 * 1024 * 1024;
  }

  run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<CommandResult> {
    return new Promise((resolve, reject) => {
      const child = execFile(
        cmd,
        [...args],
        {
          encoding: 'utf8',
          shell: false,
          timeout: this.timeoutMs,
          maxBuffer: this.maxBufferBytes,
          env: { ...process.env, LC_ALL: 'C' },
        },
        (error, stdout, stderr) => {
          if (error) {
            const code = typeof error.code === 'number' ? error.code : null;
            reject(new CommandError(cmd, args, code, stdout, stderr || error.message, { cause: error }));
          } else {
            resolve({ stdout, stderr });
          }
        },
      );
      // Ignore EPIPE when the program exits without reading stdin; the exit status tells the story.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(opts.input ?? '');
    });
  }
}

function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function assertConfPath(path: string, field: string): string {
  // Absolute, and no control characters: the path goes into argv, so it cannot inject, but a
  // relative path would depend on the daemon's working directory.
  if (typeof path !== 'string' || !path.startsWith('/') || hasControlChar(path) || path.length > 4096) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `${field} must be an absolute path, got ${describe(path)}`);
  }
  return path;
}

/**
 * `wg show <iface> dump`, parsed. The parsed result carries no private or preshared key.
 *
 * @throws {CommandError} when wg fails; {@link WireGuardError} PARSE_ERROR on unexpected output
 */
export async function wgShowDump(runner: CommandRunner, iface: string): Promise<WgDump> {
  const { stdout } = await runner.run('wg', ['show', assertInterfaceName(iface), 'dump']);
  return parseWgDump(stdout);
}

/**
 * `wg set <iface> private-key <file>` (and `listen-port` when given). `keyFile` holds the base64
 * private key; the caller creates it with mode 0600. The key is never put in argv.
 */
export async function wgSetPrivateKey(runner: CommandRunner, iface: string, keyFile: string, listenPort?: number): Promise<void> {
  const args = ['set', assertInterfaceName(iface)];
  if (listenPort !== undefined) args.push('listen-port', String(assertInteger(listenPort, 'listenPort', 1, 65_535)));
  args.push('private-key', assertConfPath(keyFile, 'keyFile'));
  await runner.run('wg', args);
}

/** Removes peers in one `wg set <iface> peer K1 remove peer K2 remove …` call. No call when empty. */
export async function wgRemovePeers(runner: CommandRunner, iface: string, publicKeys: readonly string[]): Promise<void> {
  const name = assertInterfaceName(iface);
  const keys = assertArray<string>(publicKeys, 'publicKeys').map((key) => assertWireGuardKey(key, 'publicKey'));
  if (keys.length === 0) return;
  await runner.run('wg', ['set', name, ...keys.flatMap((key) => ['peer', key, 'remove'])]);
}

/**
 * Applies a whole {@link PeerDiff} with `wg set` — one invocation unless the diff exceeds
 * `maxPeersPerCall` (see `wgSetPeerArgs`). No call for an empty diff.
 *
 * @returns how many `wg set` invocations ran
 */
export async function wgApplyPeerDiff(
  runner: CommandRunner,
  iface: string,
  diff: PeerDiff,
  options: { maxPeersPerCall?: number } = {},
): Promise<number> {
  const name = assertInterfaceName(iface);
  const calls = wgSetPeerArgs(diff, options);
  for (const args of calls) await runner.run('wg', ['set', name, ...args]);
  return calls.length;
}

/**
 * True when the link exists (`ip link show dev <iface>`); false when `ip` says it does not.
 *
 * @throws {CommandError} for any other failure
 */
export async function ipLinkExists(runner: CommandRunner, iface: string): Promise<boolean> {
  try {
    await runner.run('ip', ['link', 'show', 'dev', assertInterfaceName(iface)]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && /does not exist/i.test(error.stderr)) return false;
    throw error;
  }
}

/** `ip link add dev <iface> type wireguard`. */
export async function ipLinkAddWireGuard(runner: CommandRunner, iface: string): Promise<void> {
  await runner.run('ip', ['link', 'add', 'dev', assertInterfaceName(iface), 'type', 'wireguard']);
}

/**
 * `ip address add <addr/prefix> dev <iface>` (`replace` instead of `add` with `{ replace: true }`,
 * which is idempotent). The address keeps its host part: `100.64.0.1/16`.
 */
export async function ipAddrAdd(runner: CommandRunner, iface: string, addressWithPrefix: string, options: { replace?: boolean } = {}): Promise<void> {
  const address = formatAddressWithPrefix(parseAddressWithPrefix(addressWithPrefix));
  await runner.run('ip', ['address', options.replace ? 'replace' : 'add', address, 'dev', assertInterfaceName(iface)]);
}

/** `ip link set dev <iface> up`. */
export async function ipLinkSetUp(runner: CommandRunner, iface: string): Promise<void> {
  await runner.run('ip', ['link', 'set', 'dev', assertInterfaceName(iface), 'up']);
}

/** `ip link set dev <iface> mtu <mtu>`; 1280–65535 (the tunnel carries IPv6, RFC 8200 §5). */
export async function ipLinkSetMtu(runner: CommandRunner, iface: string, mtu: number): Promise<void> {
  const value = assertInteger(mtu, 'mtu', 1280, 65_535);
  await runner.run('ip', ['link', 'set', 'dev', assertInterfaceName(iface), 'mtu', String(value)]);
}

function assertRuleset(text: string): string {
  if (typeof text !== 'string' || text.trim() === '') fail(WireGuardErrorCode.INVALID_ARGUMENT, 'ruleset must be non-empty text');
  return text;
}

/** Applies a ruleset atomically with `nft -f -`, the text on stdin (see `renderNftRuleset`). */
export async function nftApply(runner: CommandRunner, rulesetText: string): Promise<void> {
  await runner.run('nft', ['-f', '-'], { input: assertRuleset(rulesetText) });
}

/** `nft list table inet phoenix` — the live table, to verify after applying. */
export async function nftListTable(runner: CommandRunner): Promise<string> {
  const { stdout } = await runner.run('nft', ['list', 'table', NFT_TABLE_FAMILY, NFT_TABLE_NAME]);
  return stdout;
}

/**
 * True when `ip link add … type wireguard` failed because the kernel has no WireGuard module
 * (then the userspace implementation, wireguard-go, is the way).
 */
export function isWireGuardUnsupported(error: unknown): boolean {
  return error instanceof CommandError && /unknown device type|not supported|no such device/i.test(error.stderr);
}

/**
 * `ip link delete dev <iface>`. Returns false when the link was already gone.
 *
 * @throws {CommandError} for any other failure
 */
export async function ipLinkDelete(runner: CommandRunner, iface: string): Promise<boolean> {
  try {
    await runner.run('ip', ['link', 'delete', 'dev', assertInterfaceName(iface)]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && /cannot find device|does not exist/i.test(error.stderr)) return false;
    throw error;
  }
}

/**
 * `nft list table inet phoenix`, or `null` when the table does not exist.
 *
 * @throws {CommandError} for any other failure
 */
export async function nftListTableIfExists(runner: CommandRunner): Promise<string | null> {
  try {
    return await nftListTable(runner);
  } catch (error) {
    if (error instanceof CommandError && /no such file or directory/i.test(error.stderr)) return null;
    throw error;
  }
}

/**
 * `nft delete table inet phoenix` — removes the node's whole ruleset and nothing else. Returns
 * false when the table did not exist.
 */
export async function nftDeleteTable(runner: CommandRunner): Promise<boolean> {
  try {
    await runner.run('nft', ['delete', 'table', NFT_TABLE_FAMILY, NFT_TABLE_NAME]);
    return true;
  } catch (error) {
    if (error instanceof CommandError && /no such file or directory/i.test(error.stderr)) return false;
    throw error;
  }
}

const SYSCTL_KEY = /^[a-z0-9_]+(\.[a-z0-9_-]+)+$/;

/** `sysctl -w <key>=<value>` (e.g. `net.ipv4.ip_forward=1`); key and value are validated. */
export async function sysctlSet(runner: CommandRunner, key: string, value: string): Promise<void> {
  if (typeof key !== 'string' || !SYSCTL_KEY.test(key)) fail(WireGuardErrorCode.INVALID_ARGUMENT, `sysctl key ${describe(key)} is not valid`);
  if (typeof value !== 'string' || !/^[0-9]{1,10}$/.test(value)) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'sysctl value must be a decimal number');
  await runner.run('sysctl', ['-q', '-w', `${key}=${value}`]);
}
