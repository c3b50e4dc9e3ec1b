import { isLocationId } from './location-id';

describe('isLocationId', () => {
  it.each(['de-fra', 'us-nyc2', 'jp-0123456789abcdef'])('accepts %s', (id) => expect(isLocationId(id)).toBe(true));
  it.each(['auto', 'DE-FRA', 'de_fra', 'de-f', 'deu-fra', 'de-0123456789abcdefg', ' de-fra', 'de-fra\n', 42])('refuses %p', (id) => expect(isLocationId(id)).toBe(false));
});
