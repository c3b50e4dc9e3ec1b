/**
 * A location id: a country code, a dash, then 2 to 16 lower-case letters or digits (`de-fra`).
 * The one pattern of every place that takes one: config-service's locations, seeds and node
 * registration, a redemption's location, a node's `NODE_LOCATION`, a user's default location.
 * (The network schema's CHECK constraint holds the same pattern, frozen in its migration.)
 */
export const LOCATION_ID = /^[a-z]{2}-[a-z0-9]{2,16}$/;

export function isLocationId(value: unknown): value is string {
  return typeof value === 'string' && LOCATION_ID.test(value);
}
