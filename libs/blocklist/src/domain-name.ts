// The one normalization both the builder and every lookup apply (API.md "Published blocklist":
// lowercase, drop a trailing dot, IDN labels to punycode), so a name is hashed identically on
// both sides.
//
// `node:url`'s `domainToASCII` is the one import from outside this library: it is Node's WHATWG
// URL host parser (UTS #46 mapping, NFC, punycode), a pure function with no IO, the same IDNA
// processing browsers apply. It runs only for names with a non-ASCII character: an ASCII name is
// only lowercased, so clients in other languages need IDNA only for names that really are IDNs.
import { domainToASCII } from 'node:url';

/** The longest name DNS carries (RFC 1035 §2.3.4, in presentation form without the final dot). */
export const MAX_NAME_LENGTH = 253;
/** The longest label (RFC 1035 §2.3.4). */
export const MAX_LABEL_LENGTH = 63;

/** Why a name was refused; see {@link normalizeDomain}. */
export type InvalidNameReason =
  /** Empty, or an empty label (`a..b`, `.a`). */
  | 'empty-label'
  /** A character other than `a-z`, `0-9`, `-`, `_` after conversion (`*`, `/`, `:`, space…). */
  | 'characters'
  /** Longer than 253 characters, or a label longer than 63. */
  | 'length'
  /** The last label is all digits: an IP address or a number, never a domain. */
  | 'ip-address'
  /** A non-ASCII name that IDNA (UTS #46) refuses. */
  | 'idna';

/** The result of {@link normalizeDomain}: the normalized name, or why there is none. */
export type NormalizedName = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: InvalidNameReason };

// Normalized: labels of a-z 0-9 - _ separated by single dots. Underscores appear in real blocklists
// (`philadelphia_cbslocal.us.intellitxt.com`) and in DNS; hyphens anywhere, as resolvers accept.
const NORMALIZED = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/;
const NON_ASCII = /[\u0080-\uffff]/;
// An ASCII character IDNA would treat as URL syntax (`/`, `:`, `@`, `%`…): `domainToASCII('a/b.com')`
// is `a`, so such names are refused before conversion.
const ILLEGAL_ASCII = /[^A-Za-z0-9._\u0080-\uffff-]/;
const LONG_LABEL = new RegExp(`[^.]{${MAX_LABEL_LENGTH + 1}}`);

/**
 * Normalizes a DNS name the way the published filter hashes names: lowercase, one trailing dot
 * dropped, non-ASCII names converted with IDNA (UTS #46, punycode). Never throws: a name that is
 * not a domain comes back as `{ ok: false, reason }`.
 *
 * Refused: empty labels, characters outside `a-z 0-9 - _` after conversion, more than 253
 * characters or a label over 63, a last label of digits only (IP addresses), and non-ASCII names
 * IDNA refuses. ASCII names are not passed through IDNA: `xn--` labels are kept as written.
 *
 * @param name - a name as a user, a resolver or a hosts file spells it
 * @returns `{ ok: true, name }` with the normalized name, or `{ ok: false, reason }`
 * @throws never
 * @example
 * normalizeDomain('Ads.Example.COM.'); // { ok: true, name: 'ads.example.com' }
 * normalizeDomain('bücher.example');   // { ok: true, name: 'xn--bcher-kva.example' }
 * normalizeDomain('0.0.0.0');          // { ok: false, reason: 'ip-address' }
 */
export function normalizeDomain(name: string): NormalizedName {
  let ascii: string;
  if (!NON_ASCII.test(name)) {
    ascii = name.toLowerCase();
  } else if (ILLEGAL_ASCII.test(name)) {
    return { ok: false, reason: 'characters' };
  } else {
    const converted = domainToASCII(name);
    if (converted === '') return { ok: false, reason: 'idna' };
    ascii = converted;
  }
  if (ascii.endsWith('.')) ascii = ascii.slice(0, -1);
  return isNormalizedDomain(ascii) ? { ok: true, name: ascii } : { ok: false, reason: whyInvalid(ascii) };
}

/** The reason {@link isNormalizedDomain} refused a lowercase ASCII name. */
function whyInvalid(ascii: string): InvalidNameReason {
  if (ascii.length > MAX_NAME_LENGTH) return 'length';
  if (!NORMALIZED.test(ascii)) return ascii === '' || /(?:^|\.)(?:\.|$)/.test(ascii) ? 'empty-label' : 'characters';
  if (LONG_LABEL.test(ascii)) return 'length';
  return 'ip-address';
}

/**
 * True when `name` is already in the form {@link normalizeDomain} returns. One pass over the
 * characters, no IDNA: the builder checks every name with it.
 */
export function isNormalizedDomain(name: string): boolean {
  const n = name.length;
  if (n === 0 || n > MAX_NAME_LENGTH) return false;
  let label = 0;
  let digits = true;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2e) {
      if (label === 0) return false;
      label = 0;
      digits = true;
      continue;
    }
    const digit = c >= 0x30 && c <= 0x39;
    if (!(digit || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f)) return false;
    if (++label > MAX_LABEL_LENGTH) return false;
    digits &&= digit;
  }
  return label > 0 && !digits;
}

/**
 * The name and each parent domain, longest first, as DNS blockers check them:
 * `a.b.example.com` → `a.b.example.com`, `b.example.com`, `example.com`, `com`.
 * Expects a normalized name.
 */
export function nameAndParents(name: string): string[] {
  const out = [name];
  for (let dot = name.indexOf('.'); dot !== -1; dot = name.indexOf('.', dot + 1)) out.push(name.slice(dot + 1));
  return out;
}
