import { describe, fail, parseDecimal } from './assert';
import { formatCidr, parseCidr } from './cidr';
import { Endpoint, parseEndpoint } from './endpoint';
import { WireGuardError, WireGuardErrorCode } from './errors';
import { assertWireGuardKey } from './keys';

/**
 * The interface line of `wg show <if> dump`. The private key is deliberately not kept — only
 * whether one is set — so the parsed object can be logged or passed around without leaking it.
 */
export interface WgDumpInterface {
  readonly hasPrivateKey: boolean;
  /** `null` when the interface has no private key. */
  readonly publicKey: string | null;
  /** 0 when not listening yet. */
  readonly listenPort: number;
  /** `null` for "off". */
  readonly fwmark: number | null;
}

/** A peer line of `wg show <if> dump`. The preshared key itself is dropped, as above. */
export interface WgDumpPeer {
  readonly publicKey: string;
  readonly hasPresharedKey: boolean;
  readonly endpoint: Endpoint | null;
  /** Canonical CIDRs, in the order printed. */
  readonly allowedIps: readonly string[];
  /** Unix seconds of the latest handshake; `null` if never. */
  readonly latestHandshake: number | null;
  /** Bytes received. bigint: the kernel counter is u64 and can pass 2^53. */
  readonly transferRx: bigint;
  /** Bytes sent. */
  readonly transferTx: bigint;
  /** Seconds; `null` for "off". */
  readonly persistentKeepalive: number | null;
}

/** Parsed output of `wg show <if> dump`. */
export interface WgDump {
  readonly interface: WgDumpInterface;
  readonly peers: readonly WgDumpPeer[];
}

const NONE = '(none)';
const OFF = 'off';
const U64_MAX = (1n << 64n) - 1n;

function parseError(lineNo: number, what: string): never {
  fail(WireGuardErrorCode.PARSE_ERROR, `wg dump line ${lineNo}: ${what}`);
}

function field<T>(lineNo: number, name: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof WireGuardError && error.code !== WireGuardErrorCode.PARSE_ERROR) {
      throw new WireGuardError(WireGuardErrorCode.PARSE_ERROR, `wg dump line ${lineNo}: bad ${name}`, { cause: error });
    }
    throw error;
  }
}

function parseU64(text: string, lineNo: number, name: string): bigint {
  if (!/^(0|[1-9][0-9]{0,19})$/.test(text)) parseError(lineNo, `bad ${name} ${describe(text)}`);
  const value = BigInt(text);
  if (value > U64_MAX) parseError(lineNo, `${name} out of range`);
  return value;
}

function parseInterfaceLine(fields: readonly string[], lineNo: number): WgDumpInterface {
  if (fields.length !== 4) parseError(lineNo, `interface line has ${fields.length} fields, expected 4`);
  const [privateKey, publicKey, listenPort, fwmark] = fields as [string, string, string, string];
  const hasPrivateKey = privateKey !== NONE;
  if (hasPrivateKey) field(lineNo, 'private key', () => assertWireGuardKey(privateKey, 'private key'));
  const port = parseDecimal(listenPort, 65_535);
  if (port === null) parseError(lineNo, `bad listen port ${describe(listenPort)}`);
  let mark: number | null = null;
  if (fwmark !== OFF) {
    // wg prints a set fwmark as 0x%x.
    if (!/^0x[0-9a-f]{1,8}$/i.test(fwmark)) parseError(lineNo, `bad fwmark ${describe(fwmark)}`);
    mark = Number.parseInt(fwmark.slice(2), 16);
  }
  return {
    hasPrivateKey,
    publicKey: publicKey === NONE ? null : field(lineNo, 'public key', () => assertWireGuardKey(publicKey, 'public key')),
    listenPort: port,
    fwmark: mark,
  };
}

function parsePeerLine(fields: readonly string[], lineNo: number): WgDumpPeer {
  if (fields.length !== 8) parseError(lineNo, `peer line has ${fields.length} fields, expected 8`);
  const [publicKey, presharedKey, endpoint, allowedIps, handshake, rx, tx, keepalive] = fields as [
    string, string, string, string, string, string, string, string,
  ];
  const hasPresharedKey = presharedKey !== NONE;
  if (hasPresharedKey) field(lineNo, 'preshared key', () => assertWireGuardKey(presharedKey, 'preshared key'));
  const latest = parseU64(handshake, lineNo, 'latest handshake');
  let keepaliveSec: number | null = null;
  if (keepalive !== OFF) {
    keepaliveSec = parseDecimal(keepalive, 65_535);
    if (keepaliveSec === null || keepaliveSec === 0) parseError(lineNo, `bad persistent keepalive ${describe(keepalive)}`);
  }
  return {
    publicKey: field(lineNo, 'public key', () => assertWireGuardKey(publicKey, 'peer public key')),
    hasPresharedKey,
    endpoint: endpoint === NONE ? null : field(lineNo, 'endpoint', () => {
      const { host, port } = parseEndpoint(endpoint);
      return { host, port };
    }),
    allowedIps:
      allowedIps === NONE
        ? []
        : allowedIps.split(',').map((cidr) => field(lineNo, 'allowed ip', () => formatCidr(parseCidr(cidr, { allowHostBits: true })))),
    latestHandshake: latest === 0n ? null : Number(latest),
    transferRx: parseU64(rx, lineNo, 'transfer-rx'),
    transferTx: parseU64(tx, lineNo, 'transfer-tx'),
    persistentKeepalive: keepaliveSec,
  };
}

/**
 * Parses the output of `wg show <interface> dump` (single interface; not `wg show all dump`,
 * whose lines carry an extra leading interface column). Tab-separated; the first line is the
 * interface, every further line a peer. Trailing newlines are fine; an empty or malformed line
 * anywhere else is an error.
 *
 * @throws {WireGuardError} PARSE_ERROR
 * @example parseWgDump(stdout).peers.map((p) => p.publicKey)
 */
export function parseWgDump(text: string): WgDump {
  if (typeof text !== 'string') fail(WireGuardErrorCode.PARSE_ERROR, 'wg dump must be a string');
  const lines = text.replace(/(\r?\n)+$/, '').split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.length === 0 || lines[0] === '') fail(WireGuardErrorCode.PARSE_ERROR, 'wg dump is empty');
  lines.forEach((line, i) => {
    if (line === '') parseError(i + 1, 'empty line');
  });
  return {
    interface: parseInterfaceLine((lines[0] as string).split('\t'), 1),
    peers: lines.slice(1).map((line, i) => parsePeerLine(line.split('\t'), i + 2)),
  };
}

/** Bytes received and sent, summed over every peer of a dump. */
export function dumpTransferTotals(dump: WgDump): { readonly rx: bigint; readonly tx: bigint } {
  let rx = 0n;
  let tx = 0n;
  for (const peer of dump.peers) {
    rx += peer.transferRx;
    tx += peer.transferTx;
  }
  return { rx, tx };
}
