/**
 * IP redaction for log output (privacy invariant 6). Applied to every string a logger writes, so
 * an address in a message, an error or a nested object never reaches the log sink.
 */

const IPV4 = /\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b/g;
// IPv6 in full (8 groups) or compressed (`::`) form, with an optional embedded IPv4 tail. Times like
// `04:12:33` have neither 7 colons nor `::`, so they are left alone.
const IPV6 =
  /(?<![\w:])(?:(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|(?:[0-9a-f]{1,4}:){0,7}(?:[0-9a-f]{1,4})?::(?:[0-9a-f]{1,4}:){0,6}(?:[0-9a-f]{1,4}|\[ip\])?)(?![\w:])/gi;

export const IP_PLACEHOLDER = '[ip]';

/** Replaces every IPv4 and IPv6 address in `text` with `[ip]`. */
export function redactIps(text: string): string {
  return text.replace(IPV4, IP_PLACEHOLDER).replace(IPV6, (m) => (m === '::' || m.length < 3 ? m : IP_PLACEHOLDER));
}

/** Deep copy of `value` with every string passed through {@link redactIps}. */
export function redactIpsDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactIps(value);
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactIpsDeep(v, depth + 1));
  if (value instanceof Error) {
    return { type: value.name, message: redactIps(value.message), stack: value.stack ? redactIps(value.stack) : undefined };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactIpsDeep(v, depth + 1);
  return out;
}
