import { AppError } from '@phoenix/common';

const CONNECTION_MESSAGES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'Connection terminated',
  'Connection is closed',
  "Stream isn't writeable",
  'connect ETIMEDOUT',
  'timeout exceeded when trying to connect',
  'Command timed out',
  'Reached the max retries per request limit',
  'the database system is',
  'terminating connection',
  'Driver not Connected',
  'Connection is not established',
];

/**
 * True for failures of a dependency (Postgres or Redis down, a connection lost mid-request) as
 * opposed to bugs: those answer `503 UNAVAILABLE`, never a bare 500 (API.md "Conventions").
 */
export function isInfrastructureError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const name = e.name;
  if (name === 'CannotExecuteNotConnectedError' || name === 'ConnectionNotFoundError' || name === 'MaxRetriesPerRequestError') return true;
  const code = (e as { code?: unknown }).code;
  // Postgres class 08 (connection exception), 57P0x (shutdown), 53xxx (insufficient resources),
  // and 42P01 (undefined table): the schema is not migrated — the database this service needs is
  // not there yet, and readiness says so too.
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0/.test(code) || /^53/.test(code) || code === '42P01')) return true;
  const text = `${e.message} ${String((e as { driverError?: { message?: string } }).driverError?.message ?? '')}`;
  return CONNECTION_MESSAGES.some((m) => text.includes(m));
}

/** Maps a dependency failure to `AppError.unavailable`, or rethrows. */
export function mapInfrastructureError(e: unknown, what = 'a dependency'): never {
  if (e instanceof AppError) throw e;
  if (isInfrastructureError(e)) throw AppError.unavailable(what, e);
  throw e;
}

/**
 * Turns dependency failures in any handler of the decorated controller into `503 UNAVAILABLE`.
 * A class decorator rather than a global interceptor: Nest's interceptor chain costs an
 * AsyncResource bind per request, which showed on the issuance hot path. Route, Swagger and
 * other metadata on each method are carried over to its wrapper.
 */
export function MapInfrastructureErrors(): ClassDecorator {
  return (target) => {
    const proto = (target as unknown as { prototype: Record<string, unknown> }).prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const d = Object.getOwnPropertyDescriptor(proto, key);
      if (key === 'constructor' || !d || typeof d.value !== 'function') continue;
      const original = d.value as (...args: unknown[]) => unknown;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        try {
          const r = original.apply(this, args);
          return r instanceof Promise ? r.catch((e: unknown) => mapInfrastructureError(e)) : r;
        } catch (e) {
          return mapInfrastructureError(e);
        }
      };
      for (const k of Reflect.getMetadataKeys(original)) Reflect.defineMetadata(k, Reflect.getMetadata(k, original), wrapped);
      Object.defineProperty(wrapped, 'name', { value: original.name });
      Object.defineProperty(proto, key, { ...d, value: wrapped });
    }
  };
}
