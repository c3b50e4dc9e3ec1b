import { type InvalidNameReason, normalizeDomain } from './domain-name';

/** Why a hosts-file entry was not taken; see {@link parseHosts}. */
export type InvalidEntryReason =
  | InvalidNameReason
  /** The line's first field is not an IPv4 or IPv6 address. */
  | 'address'
  /** An address with no name after it. */
  | 'no-name';

/** One refused entry: its 1-based line number, the field as written (cut to 255 characters) and why. */
export interface InvalidEntry {
  readonly line: number;
  readonly text: string;
  readonly reason: InvalidEntryReason;
}

/** What {@link parseHosts} found. */
export interface ParsedHosts {
  /** The unique normalized domains, sorted by code unit (bytes: every name is ASCII). */
  readonly domains: string[];
  readonly counts: {
    /** Lines in the file. */
    readonly lines: number;
    /** Name fields after an address: `domains.length + duplicates + local + invalidNames`. */
    readonly names: number;
    /** Names seen again after their first appearance (after normalization). */
    readonly duplicates: number;
    /** Names of the localhost block (`localhost`, `broadcasthost`, `ip6-*`, `0.0.0.0`…), left out. */
    readonly local: number;
    /** Names that are not domains (see {@link normalizeDomain}). */
    readonly invalidNames: number;
    /** Lines refused whole: no address first, or an address and no name. */
    readonly invalidLines: number;
  };
  /** The first {@link MAX_REPORTED_INVALID} refused entries (names and lines), in file order. */
  readonly invalid: InvalidEntry[];
}

/** How many refused entries {@link parseHosts} lists (all are counted). */
export const MAX_REPORTED_INVALID = 100;

// The localhost block every hosts file starts with (StevenBlack's: 127.0.0.1 localhost, ::1
// ip6-localhost, fe80::1%lo0 localhost, ff02::1 ip6-allnodes, 0.0.0.0 0.0.0.0 …). These map local
// names; they are not blocked names, whatever address precedes them.
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'localdomain', 'local', 'broadcasthost', '0.0.0.0']);
const LOCAL_IP6 = /^ip6-[a-z0-9-]+$/;

const IPV4 = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$/;
// Loose on purpose: hex groups, `::`, an embedded IPv4 tail, a zone (`fe80::1%lo0`). Only whether
// the field is an address matters here, never which one.
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*(?:%[0-9a-z._-]+)?$/i;

function isLocalName(name: string): boolean {
  const lower = name.toLowerCase().replace(/\.$/, '');
  return LOCAL_NAMES.has(lower) || LOCAL_IP6.test(lower);
}

/**
 * Parses a hosts file (`<address> <name> [<name>…] [# comment]` per line) into the sorted unique
 * list of normalized domains it lists. Never throws on content: every refused entry is counted
 * and the first ones are reported with their line number.
 *
 * Handles `#` comments (whole-line and inline), blank lines, CRLF, a UTF-8 BOM, tabs, several names
 * per line, the localhost block (left out, counted as `local`), IDN names (punycode), upper case,
 * trailing dots and duplicates. Names are normalized by {@link normalizeDomain}.
 *
 * @param text - the hosts file as text
 * @returns the domains and the counts; `domains.length === names − duplicates − local − invalidNames`
 * @throws never
 * @example
 * const { domains, counts } = parseHosts('127.0.0.1 localhost\n0.0.0.0 Ads.Example.com. # tracker\n0.0.0.0 ads.example.com');
 * // domains: ['ads.example.com']; counts: { lines: 3, names: 3, duplicates: 1, local: 1, invalidNames: 0, invalidLines: 0 }
 */
export function parseHosts(text: string): ParsedHosts {
  const seen = new Set<string>();
  const invalid: InvalidEntry[] = [];
  let names = 0;
  let duplicates = 0;
  let local = 0;
  let invalidNames = 0;
  let invalidLines = 0;
  const refuse = (line: number, field: string, reason: InvalidEntryReason) => {
    if (reason === 'address' || reason === 'no-name') invalidLines++;
    else invalidNames++;
    if (invalid.length < MAX_REPORTED_INVALID) invalid.push({ line, text: field.slice(0, 255), reason });
  };

  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split(/\r\n|\n|\r/);
  // A final newline ends the last line; it does not start another.
  const lineCount = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  for (let i = 0; i < lineCount; i++) {
    const hash = lines[i].indexOf('#');
    const content = (hash === -1 ? lines[i] : lines[i].slice(0, hash)).trim();
    if (content === '') continue;
    const fields = content.split(/\s+/);
    const address = fields[0];
    if (!IPV4.test(address) && !IPV6.test(address)) {
      refuse(i + 1, address, 'address');
      continue;
    }
    if (fields.length === 1) {
      refuse(i + 1, address, 'no-name');
      continue;
    }
    for (let f = 1; f < fields.length; f++) {
      const field = fields[f];
      names++;
      if (isLocalName(field)) {
        local++;
        continue;
      }
      const normalized = normalizeDomain(field);
      if (!normalized.ok) {
        refuse(i + 1, field, normalized.reason);
      } else if (seen.has(normalized.name)) {
        duplicates++;
      } else {
        seen.add(normalized.name);
      }
    }
  }
  return {
    domains: [...seen].sort(),
    counts: { lines: lineCount, names, duplicates, local, invalidNames, invalidLines },
    invalid,
  };
}
