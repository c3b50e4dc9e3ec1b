import { AppError } from '../errors/app-error';
import { parseJsonBody } from './json-body';
import { DEFAULT_JSON_LIMITS } from './json-limits';

const codeOf = (text: string | Buffer): string | undefined => {
  try {
    parseJsonBody(typeof text === 'string' ? Buffer.from(text) : text, DEFAULT_JSON_LIMITS);
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
};

describe('parseJsonBody', () => {
  it('parses JSON within the limits', () => {
    expect(parseJsonBody(Buffer.from('{"location":"de-fra","n":[1,2]}'), DEFAULT_JSON_LIMITS)).toEqual({ location: 'de-fra', n: [1, 2] });
    expect(parseJsonBody(Buffer.from('null'), DEFAULT_JSON_LIMITS)).toBeNull();
  });

  it.each<[string, string | Buffer, string]>([
    ['an empty body', '', 'MALFORMED_BODY'],
    ['truncated JSON', '{"a":', 'MALFORMED_BODY'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'MALFORMED_BODY'],
    ['a __proto__ key', '{"__proto__":{"admin":true}}', 'MALFORMED_BODY'],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}', 'MALFORMED_BODY'],
    ['nesting past the depth limit', '['.repeat(DEFAULT_JSON_LIMITS.maxDepth + 1) + ']'.repeat(DEFAULT_JSON_LIMITS.maxDepth + 1), 'BODY_TOO_COMPLEX'],
  ])('refuses %s with 400 %s', (_name, body, code) => {
    expect(codeOf(body)).toBe(code);
  });

  it('leaves a parsed object without a polluted prototype', () => {
    expect(codeOf('{"a":{"__proto__":{"x":1}}}')).toBe('MALFORMED_BODY');
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
