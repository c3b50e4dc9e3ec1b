/**
 * Pathological JSON bodies every service must answer with a documented `4xx` and survive
 * (API.md "Conventions": malformed input is never a `5xx`, never a crash). One list of cases, run
 * by each app's integration spec against its own JSON endpoints.
 */

/** An endpoint that takes a JSON body, and what else a request to it needs to reach validation. */
export interface JsonEndpoint {
  method: 'POST' | 'PUT' | 'PATCH';
  path: string;
  /** Headers that get the request past the route's guards (e.g. a bearer or `PrivateToken`). */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
}

export interface HostileJsonCase {
  name: string;
  body: Buffer;
  status: number;
  code: string;
}

const DEPTH = 10_000;
const MANY = 20_000;

function nested(open: string, inner: string, close: string, depth = DEPTH): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

/** The cases, with the status and `code` each must get (64 KiB: the platform's default body limit). */
export function hostileJsonCases(bodyLimit = 64 * 1024): HostileJsonCase[] {
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const tooComplex = { status: 400, code: 'BODY_TOO_COMPLEX' };
  const malformed = { status: 400, code: 'MALFORMED_BODY' };
  return [
    { name: `arrays nested ${DEPTH} deep`, body: utf8(nested('[', '', ']')), ...tooComplex },
    { name: `objects nested ${DEPTH / 2} deep`, body: utf8(nested('{"a":', '1', '}', DEPTH / 2)), ...tooComplex },
    { name: `arrays nested ${DEPTH} deep in a field`, body: utf8(`{"location":${nested('[', '0', ']')}}`), ...tooComplex },
    { name: 'arrays and objects alternating, nested deep', body: utf8(nested('[{"a":', 'null', '}]', DEPTH / 4)), ...tooComplex },
    { name: `an array of ${MANY} elements`, body: utf8(`{"location":[${new Array<string>(MANY).fill('0').join(',')}]}`), ...tooComplex },
    { name: `9 arrays of 1000 elements (too many values in all)`, body: utf8(`{"location":[${new Array<string>(9).fill(`[${new Array<string>(1000).fill('0').join(',')}]`).join(',')}]}`), ...tooComplex },
    { name: `an object of ${MANY / 4} keys`, body: utf8(`{${Array.from({ length: MANY / 4 }, (_, i) => `"k${i}":0`).join(',')}}`), ...tooComplex },
    { name: 'a 32 KiB string', body: utf8(`{"location":"${'a'.repeat(32 * 1024)}"}`), ...tooComplex },
    { name: 'a 32 KiB key', body: utf8(`{"${'k'.repeat(32 * 1024)}":1}`), ...tooComplex },
    { name: 'a string larger than the body limit', body: utf8(`{"location":"${'a'.repeat(bodyLimit * 2)}"}`), status: 413, code: 'PAYLOAD_TOO_LARGE' },
    { name: 'a __proto__ key', body: utf8('{"__proto__":{"isAdmin":true}}'), ...malformed },
    { name: 'a __proto__ key spelt with escapes, nested', body: utf8('{"a":[{"\\u005f_proto__":{"isAdmin":true}}]}'), ...malformed },
    { name: 'a constructor.prototype key', body: utf8('{"constructor":{"prototype":{"isAdmin":true}}}'), ...malformed },
    { name: 'non-UTF-8 bytes in a string', body: Buffer.concat([utf8('{"location":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80]), utf8('"}')]), ...malformed },
    { name: 'a UTF-8-encoded lone surrogate', body: Buffer.concat([utf8('{"location":"'), Buffer.from([0xed, 0xa0, 0x80]), utf8('"}')]), ...malformed },
  ];
}

/**
 * Sends every {@link hostileJsonCases} case to each endpoint of a running service and expects the
 * documented status and code in the contract's error body, with the service still answering
 * `/health/live` after each one.
 */
export function describeHostileJson(service: string, start: () => Promise<{ base: string; close: () => Promise<void> }>, endpoints: JsonEndpoint[]): void {
  describe(`${service}: pathological JSON bodies are a 4xx, never a 5xx`, () => {
    let base: string;
    let close: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      ({ base, close } = await start());
    });
    afterAll(async () => {
      await close?.();
    });

    const cases = hostileJsonCases();
    describe.each(endpoints.map((e) => [`${e.method} ${e.path}`, e] as const))('%s', (_name, endpoint) => {
      it.each(cases.map((c) => [c.name, c] as const))('%s', async (_case, c) => {
        const headers = { ...(await endpoint.headers?.()), 'content-type': 'application/json' };
        const res = await fetch(`${base}${endpoint.path}`, { method: endpoint.method, headers, body: c.body });
        const body = (await res.json()) as Record<string, unknown>;
        expect({ status: res.status, code: body.code }).toEqual({ status: c.status, code: c.code });
        expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
        expect((await fetch(`${base}/health/live`)).status).toBe(200);
      });
    });
  });
}
