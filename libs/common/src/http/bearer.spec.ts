import { bearerToken, secretEquals } from './bearer';

describe('bearerToken', () => {
  it.each([
    ['Bearer abc.def-123_x~', 'abc.def-123_x~'],
    ['bearer abc==', 'abc=='],
    ['Basic abc', null],
    ['Bearer', null],
    ['Bearer a b', null],
    [undefined, null],
  ])('reads %s', (header, token) => expect(bearerToken(header)).toBe(token));
});

describe('secretEquals', () => {
  it('compares whole secrets of any length', () => {
    expect(secretEquals('dev-admin-token-config-service', 'dev-admin-token-config-service')).toBe(true);
    expect(secretEquals('dev-admin-token-config-servic', 'dev-admin-token-config-service')).toBe(false);
    expect(secretEquals('', 'x')).toBe(false);
  });
});
