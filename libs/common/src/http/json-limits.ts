import { RouteConfig } from '@nestjs/platform-fastify';

/**
 * How complex a JSON request body may be. Bodies beyond these are `400 BODY_TOO_COMPLEX` before
 * `JSON.parse` runs: the recursive code after the parser (class-transformer, class-validator)
 * overflows the stack on a few thousand levels of nesting (a `500`), and class-validator's cost
 * grows faster than linearly with the keys of one object.
 */
export interface JsonLimits {
  /** Arrays and objects open at once. */
  maxDepth: number;
  /** Keys of one object. */
  maxObjectKeys: number;
  /** Elements of one array. */
  maxArrayElements: number;
  /** Every string (keys included), number, literal, array and object, counted together. */
  maxValues: number;
  /** Bytes of one string or key as sent (escapes counted as written), quotes excluded. */
  maxStringBytes: number;
}

/**
 * The platform's limits, far above any body a client, node or operator sends (the deepest DTO is 3
 * levels, the longest field 1 KiB, the largest array 20 elements) and above the largest payload
 * Stripe sends us (an invoice event: about 12 levels, ~100 keys in its largest object, a few
 * thousand values in a 64 KiB body).
 */
export const DEFAULT_JSON_LIMITS: Readonly<JsonLimits> = Object.freeze({
  maxDepth: 32,
  maxObjectKeys: 256,
  maxArrayElements: 1024,
  maxValues: 8192,
  maxStringBytes: 8 * 1024,
});

/** The Fastify route config key under which {@link JsonBodyLimits} keeps a route's own limits. */
export const JSON_LIMITS_ROUTE_CONFIG = 'jsonLimits';

/**
 * Raises (or lowers) the JSON limits of one route handler (Nest's Fastify adapter reads route
 * config from the handler, not the controller), for payloads whose shape is not ours — e.g. a
 * provider's webhook, whose signed JWS is one long string.
 */
export function JsonBodyLimits(limits: Partial<JsonLimits>): MethodDecorator {
  return RouteConfig({ [JSON_LIMITS_ROUTE_CONFIG]: limits });
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const SPACE = 0x20;

/**
 * Why `body` exceeds `limits`, or `undefined` when it does not. One forward pass over the raw bytes
 * (linear time, constant stack, memory bounded by `maxDepth`), stopping at the first limit
 * crossed. It does not validate the JSON — the parser after it does — so on malformed input its
 * counts are approximate, which is harmless: such a body is a `400` either way.
 */
export function jsonLimitExceeded(body: Uint8Array, limits: Readonly<JsonLimits>): string | undefined {
  const { maxDepth, maxObjectKeys, maxArrayElements, maxValues, maxStringBytes } = limits;
  // Per open array or object: its entries so far (counted at each separator), and which it is.
  const entries = new Uint32Array(maxDepth + 1);
  const isObject = new Uint8Array(maxDepth + 1);
  const n = body.length;
  let depth = 0;
  let values = 0;
  let inScalar = false;
  for (let i = 0; i < n; i++) {
    const c = body[i];
    // Whitespace (and, harmlessly, control bytes the parser refuses) and colons end a scalar.
    if (c <= SPACE || c === COLON) {
      inScalar = false;
      continue;
    }
    if (c === QUOTE) {
      const start = i;
      for (i++; i < n; i++) {
        const d = body[i];
        if (d === QUOTE) break;
        if (d === BACKSLASH) i++;
      }
      if (i - start - 1 > maxStringBytes) return `a string or key is longer than ${maxStringBytes} bytes`;
      if (++values > maxValues) return `more than ${maxValues} values`;
      inScalar = false;
      continue;
    }
    if (c === COMMA) {
      if (depth > 0) {
        const count = ++entries[depth];
        if (isObject[depth] === 1) {
          if (count > maxObjectKeys) return `an object has more than ${maxObjectKeys} keys`;
        } else if (count > maxArrayElements) return `an array has more than ${maxArrayElements} elements`;
      }
      inScalar = false;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth === maxDepth) return `arrays and objects are nested deeper than ${maxDepth} levels`;
      if (++values > maxValues) return `more than ${maxValues} values`;
      depth++;
      entries[depth] = 1;
      isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      inScalar = false;
      continue;
    }
    if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth > 0) depth--;
      inScalar = false;
      continue;
    }
    // The first byte of a number or literal.
    if (!inScalar) {
      inScalar = true;
      if (++values > maxValues) return `more than ${maxValues} values`;
    }
  }
  return undefined;
}
