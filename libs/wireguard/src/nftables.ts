import { assertArray, assertPort, fail } from './assert';
import { Cidr, cidrContains, cidrFirst, collapseCidrs, formatCidr, hostCidrOf, parseCidr } from './cidr';
import { WireGuardErrorCode } from './errors';
import { assertInterfaceName } from './interface-name';
import { addressBits, formatIp, IpAddress, IpVersion, parseIp } from './ip';

/** The node's own table; nothing else on the host is touched. */
export const NFT_TABLE_FAMILY = 'inet';
export const NFT_TABLE_NAME = 'phoenix';

/**
 * Destinations a tunnel client may never reach through the node: RFC 1918 and the provider's
 * internal network, link-local (cloud metadata at 169.254.169.254), CGNAT/other tunnels (the
 * node's own gateway is reached via the input chain, not forward), loopback, "this network",
 * multicast and reserved space.
 */
export const FORBIDDEN_DESTINATIONS_V4: readonly string[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '224.0.0.0/4',
  '240.0.0.0/4',
];

/** IPv6 counterparts: loopback, unique-local (fc00::/7), link-local, multicast. */
export const FORBIDDEN_DESTINATIONS_V6: readonly string[] = ['::1/128', 'fc00::/7', 'fe80::/10', 'ff00::/8'];

/** Input of {@link renderNftRuleset}. */
export interface NftRulesetInput {
  /** The WireGuard interface, e.g. `wg0`. */
  readonly wgInterface: string;
  /** The interface towards the internet, e.g. `eth0`. */
  readonly egressInterface: string;
  /** WireGuard UDP port. */
  readonly listenPort: number;
  /** Client pool, network form, e.g. `100.64.0.0/16`. */
  readonly tunnelCidrV4: string;
  readonly tunnelCidrV6?: string;
  /** The node's address in the pool, e.g. `100.64.0.1`. */
  readonly gatewayV4: string;
  /** Required when `tunnelCidrV6` is set. */
  readonly gatewayV6?: string;
  /** Blocked destinations (addresses or CIDRs), dropped for tunnel traffic. */
  readonly blockedV4: readonly string[];
  readonly blockedV6: readonly string[];
  /** TCP ports (e.g. SSH, the daemon's metrics) opened on the input chain — never from the tunnel. */
  readonly allowTcpPorts?: readonly number[];
  /** Ports tunnel clients may reach on the gateway address (e.g. 53 for a resolver on the node). */
  readonly tunnelGatewayTcpPorts?: readonly number[];
  readonly tunnelGatewayUdpPorts?: readonly number[];
}

function pool(text: string, version: IpVersion, field: string): Cidr {
  const cidr = parseCidr(text);
  if (cidr.version !== version) fail(WireGuardErrorCode.INVALID_CIDR, `${field} must be an IPv${version} CIDR`);
  return cidr;
}

function gateway(text: string, within: Cidr, field: string): IpAddress {
  const address = parseIp(text);
  if (!cidrContains(within, address)) fail(WireGuardErrorCode.INVALID_ADDRESS, `${field} must lie inside ${formatCidr(within)}`);
  return address;
}

function blocked(entries: readonly string[], version: IpVersion, field: string): string[] {
  const cidrs = assertArray<string>(entries, field).map((entry) => {
    const cidr = typeof entry === 'string' && entry.includes('/') ? parseCidr(entry) : hostCidrOf(parseIp(entry));
    if (cidr.version !== version) fail(WireGuardErrorCode.INVALID_ADDRESS, `${field} may hold only IPv${version} entries`);
    return cidr;
  });
  // nft refuses overlapping elements in an interval set; nested entries add nothing anyway.
  // Single addresses are written bare, as nft itself lists them.
  return collapseCidrs(cidrs).map((cidr) => (cidr.prefix === addressBits(version) ? formatIp(cidrFirst(cidr)) : formatCidr(cidr)));
}

function ports(values: readonly number[] | undefined, field: string): number[] {
  return [...new Set(assertArray<number>(values ?? [], field).map((p) => assertPort(p, field)))].sort((a, b) => a - b);
}

function set(items: readonly (string | number)[]): string {
  return items.length === 1 ? String(items[0]) : `{ ${items.join(', ')} }`;
}

function namedSet(name: string, type: string, elements: readonly string[]): string[] {
  const lines = [`\tset ${name} {`, `\t\ttype ${type}`, '\t\tflags interval'];
  // An empty "elements = { }" is a syntax error, so an empty set simply has no elements line.
  if (elements.length > 0) lines.push(`\t\telements = { ${elements.join(', ')} }`);
  lines.push('\t}');
  return lines;
}

/**
 * Renders the node's complete nftables ruleset for `nft -f`, as one atomic transaction:
 * `table … {}` (create if missing) + `delete table …` + the full definition, so the old rules are
 * replaced in a single commit and there is never a moment with no firewall or half a firewall.
 *
 * Policy: input drops by default (accepting loopback, established, the WireGuard port, essential
 * ICMP, optional management TCP ports from outside the tunnel, and ping — plus chosen ports — from
 * tunnel clients to the gateway); forward drops by default (accepting tunnel → egress and replies;
 * dropping client-to-client, private/link-local/multicast destinations and the `blocked_v4` /
 * `blocked_v6` sets); postrouting masquerades the pools out of the egress interface.
 *
 * Every interface name, address and port is validated and re-formatted before it is written,
 * so no input can inject nft syntax.
 *
 * @throws {WireGuardError} INVALID_INTERFACE, INVALID_CIDR, INVALID_ADDRESS, INVALID_ARGUMENT
 */
export function renderNftRuleset(input: NftRulesetInput): string {
  const wg = assertInterfaceName(input.wgInterface, 'wgInterface');
  const egress = assertInterfaceName(input.egressInterface, 'egressInterface');
  if (wg === egress) fail(WireGuardErrorCode.INVALID_INTERFACE, 'wgInterface and egressInterface must differ');
  const listenPort = assertPort(input.listenPort, 'listenPort');

  const poolV4 = pool(input.tunnelCidrV4, 4, 'tunnelCidrV4');
  const gwV4 = formatIp(gateway(input.gatewayV4, poolV4, 'gatewayV4'));
  let poolV6: Cidr | null = null;
  let gwV6: string | null = null;
  if (input.tunnelCidrV6 !== undefined) {
    poolV6 = pool(input.tunnelCidrV6, 6, 'tunnelCidrV6');
    if (input.gatewayV6 === undefined) fail(WireGuardErrorCode.INVALID_ARGUMENT, 'gatewayV6 is required with tunnelCidrV6');
    gwV6 = formatIp(gateway(input.gatewayV6, poolV6, 'gatewayV6'));
  } else if (input.gatewayV6 !== undefined) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, 'gatewayV6 needs tunnelCidrV6');
  }
  const blockedV4 = blocked(input.blockedV4, 4, 'blockedV4');
  const blockedV6 = blocked(input.blockedV6, 6, 'blockedV6');
  const tcpPorts = ports(input.allowTcpPorts, 'allowTcpPorts');
  const gwTcp = ports(input.tunnelGatewayTcpPorts, 'tunnelGatewayTcpPorts');
  const gwUdp = ports(input.tunnelGatewayUdpPorts, 'tunnelGatewayUdpPorts');
  const v4 = formatCidr(poolV4);
  const v6 = poolV6 === null ? null : formatCidr(poolV6);
  const WG = `"${wg}"`;
  const EGRESS = `"${egress}"`;
  const table = `${NFT_TABLE_FAMILY} ${NFT_TABLE_NAME}`;

  const input_: string[] = [
    '\tchain input {',
    '\t\ttype filter hook input priority filter; policy drop;',
    '\t\tiif "lo" accept',
    '\t\tct state invalid drop',
    '\t\tct state established,related accept',
    // Path MTU discovery and error reporting break without these (RFC 4890 for ICMPv6).
    '\t\ticmp type { destination-unreachable, time-exceeded, parameter-problem } accept',
    '\t\ticmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem } accept',
    // Neighbour discovery only from on-link senders (hop limit 255, RFC 4861 §7.1).
    '\t\tip6 hoplimit 255 icmpv6 type { nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert } accept',
    `\t\tudp dport ${listenPort} accept`,
    `\t\tiifname ${WG} ip saddr ${v4} ip daddr ${gwV4} icmp type echo-request accept`,
  ];
  if (gwUdp.length > 0) input_.push(`\t\tiifname ${WG} ip saddr ${v4} ip daddr ${gwV4} udp dport ${set(gwUdp)} accept`);
  if (gwTcp.length > 0) input_.push(`\t\tiifname ${WG} ip saddr ${v4} ip daddr ${gwV4} tcp dport ${set(gwTcp)} accept`);
  if (v6 !== null && gwV6 !== null) {
    input_.push(`\t\tiifname ${WG} ip6 saddr ${v6} ip6 daddr ${gwV6} icmpv6 type echo-request accept`);
    if (gwUdp.length > 0) input_.push(`\t\tiifname ${WG} ip6 saddr ${v6} ip6 daddr ${gwV6} udp dport ${set(gwUdp)} accept`);
    if (gwTcp.length > 0) input_.push(`\t\tiifname ${WG} ip6 saddr ${v6} ip6 daddr ${gwV6} tcp dport ${set(gwTcp)} accept`);
  }
  // Management ports are for the operator, never for VPN clients (who could otherwise reach them
  // through the gateway address).
  if (tcpPorts.length > 0) input_.push(`\t\tiifname != ${WG} tcp dport ${set(tcpPorts)} accept`);
  input_.push('\t}');

  const forward: string[] = [
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter; policy drop;',
    // Clamp TCP MSS of SYN/SYN-ACKs entering the tunnel to the tunnel's route MTU, so servers do
    // not send segments that only fit the wider underlay (PMTUD via ICMP is often filtered).
    // Non-terminal, so it comes before any accept.
    `\t\toifname ${WG} tcp flags syn tcp option maxseg size set rt mtu`,
    '\t\tct state invalid drop',
    // Before the established rule, so neither replies nor related packets pass between clients.
    `\t\tiifname ${WG} oifname ${WG} drop`,
    // Before the established rule too: a blocklist update cuts existing flows at once.
    `\t\tiifname ${WG} ip daddr @blocked_v4 drop`,
    `\t\tiifname ${WG} ip6 daddr @blocked_v6 drop`,
    '\t\tct state established,related accept',
    `\t\tiifname ${WG} ip daddr ${set(FORBIDDEN_DESTINATIONS_V4)} drop`,
    `\t\tiifname ${WG} ip6 daddr ${set(FORBIDDEN_DESTINATIONS_V6)} drop`,
    `\t\tiifname ${WG} oifname ${EGRESS} ip saddr ${v4} accept`,
  ];
  if (v6 !== null) forward.push(`\t\tiifname ${WG} oifname ${EGRESS} ip6 saddr ${v6} accept`);
  forward.push('\t}');

  const postrouting: string[] = [
    '\tchain postrouting {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    `\t\toifname ${EGRESS} ip saddr ${v4} masquerade`,
  ];
  if (v6 !== null) postrouting.push(`\t\toifname ${EGRESS} ip6 saddr ${v6} masquerade`);
  postrouting.push('\t}');

  return [
    '#!/usr/sbin/nft -f',
    '# Generated by @phoenix/wireguard. Replaced atomically as a whole; do not edit.',
    `table ${table} {}`,
    `delete table ${table}`,
    `table ${table} {`,
    ...namedSet('blocked_v4', 'ipv4_addr', blockedV4),
    '',
    ...namedSet('blocked_v6', 'ipv6_addr', blockedV6),
    '',
    ...input_,
    '',
    ...forward,
    '',
    ...postrouting,
    '}',
    '',
  ].join('\n');
}

/** The structure of the `inet phoenix` table: its sets and, per chain, the base-chain header and rule count. */
export interface NftTableShape {
  readonly sets: readonly string[];
  readonly chains: readonly { readonly name: string; readonly header: string; readonly rules: number }[];
}

/**
 * The shape of the `inet phoenix` table in either a rendered ruleset ({@link renderNftRuleset})
 * or the output of `nft list table inet phoenix`, or `null` when the text has no such table.
 *
 * nft re-prints what it loads (it merges adjacent prefixes, drops `/128` from single addresses),
 * so the two texts cannot be compared line by line; their shape — the same sets, the same chains
 * with the same hook, priority and policy, the same number of rules in each — can. That is what
 * the node checks right after applying (apply-then-verify); later drift is caught by comparing
 * the live listing with the listing taken then.
 */
export function nftTableShape(text: string): NftTableShape | null {
  if (typeof text !== 'string') fail(WireGuardErrorCode.INVALID_ARGUMENT, 'nft text must be a string');
  const lines = text.split('\n').map((line) => line.trim());
  const opener = `table ${NFT_TABLE_FAMILY} ${NFT_TABLE_NAME} {`;
  // A rendered ruleset opens with `table inet phoenix {}` + `delete table …`; the definition is
  // the last opener.
  const start = lines.lastIndexOf(opener);
  if (start < 0) return null;
  const sets: string[] = [];
  const chains: { name: string; header: string; rules: number }[] = [];
  let depth = 1;
  let chain: { name: string; header: string; rules: number } | null = null;
  for (const line of lines.slice(start + 1)) {
    if (line === '' || line.startsWith('#')) continue;
    if (depth === 1) {
      if (line === '}') break;
      const set = /^set (\S+) \{$/.exec(line);
      const ch = /^chain (\S+) \{$/.exec(line);
      if (set) sets.push(set[1] as string);
      if (ch) {
        chain = { name: ch[1] as string, header: '', rules: 0 };
        chains.push(chain);
      }
      if (line.endsWith('{')) depth = 2;
      continue;
    }
    if (line.endsWith('{')) depth++;
    else if (line === '}' || line.startsWith('}')) {
      depth--;
      if (depth === 1) chain = null;
    } else if (depth === 2 && chain !== null) {
      if (line.startsWith('type ') && chain.header === '' && chain.rules === 0) chain.header = line.replace(/\s+/g, ' ');
      else chain.rules++;
    }
  }
  return { sets: sets.sort(), chains: chains.sort((a, b) => a.name.localeCompare(b.name)) };
}

/** True when two table shapes are equal (see {@link nftTableShape}). */
export function sameNftTableShape(a: NftTableShape | null, b: NftTableShape | null): boolean {
  if (a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
