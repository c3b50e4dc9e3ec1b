import { Injectable, Optional } from '@nestjs/common';
import { DependencyFailures } from '@phoenix/common';

// Socket errors of a connection to any dependency (also on an AggregateError with an empty message).
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

// What the pg driver and TypeORM say when Postgres is not there or the connection went away.
const DATABASE_NAMES = new Set(['CannotExecuteNotConnectedError', 'ConnectionNotFoundError']);
const DATABASE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'the database system is',
  'terminating connection',
  'Driver not Connected',
  'Connection is not established',
];

// What ioredis says while it is disconnected (fail-fast clients: no offline queue) or gives up;
// and what an ioredis Cluster says while it has no usable node for a slot, or Redis Cluster while
// it is down (a master lost and no replica promoted yet).
const REDIS_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'Reached the max retries per request limit',
  "Cluster isn't ready",
  'Failed to refresh slots cache',
  'None of startup nodes is available',
  'Too many Cluster redirections',
  'CLUSTERDOWN',
];

/**
 * Which dependency failed, when `e` is a failure of Postgres or Redis (down, a connection lost
 * mid-request, a command timed out, the schema not migrated) rather than a bug: `database`,
 * `redis`, or `a dependency` for a bare socket error. Undefined for anything else, e.g. a unique
 * violation or a TypeError: those stay a bare 500.
 */
export function dependencyFailure(e: unknown): string | undefined {
  // Duck-typed, not `instanceof Error`: a socket error raised by Node's own modules comes from
  // another realm under Jest's module sandbox, and an outage must not become a 500 there either.
  if (!isErrorLike(e)) return undefined;
  if (DATABASE_NAMES.has(e.name)) return 'database';
  if (e.name === 'MaxRetriesPerRequestError') return 'redis';
  const code = (e as { code?: unknown }).code;
  // Postgres class 08 (connection exception), 57P0x (shutdown), 53xxx (insufficient resources),
  // and 42P01 (undefined table): the schema is not migrated — the database this service needs is
  // not there yet, and readiness says so too.
  if (typeof code === 'string' && (/^08/.test(code) || /^57P0/.test(code) || /^53/.test(code) || code === '42P01')) return 'database';
  const text = `${e.message} ${String((e as { driverError?: { message?: string } }).driverError?.message ?? '')}`;
  if (DATABASE_MESSAGES.some((m) => text.includes(m))) return 'database';
  if (REDIS_MESSAGES.some((m) => text.includes(m))) return 'redis';
  if ((typeof code === 'string' && SOCKET_CODES.has(code)) || [...SOCKET_CODES].some((c) => text.includes(c))) return 'a dependency';
  return undefined;
}

function isErrorLike(e: unknown): e is Error {
  return typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string';
}

export function isDependencyFailure(e: unknown): boolean {
  return dependencyFailure(e) !== undefined;
}

/**
 * Registers {@link dependencyFailure} with the platform's {@link DependencyFailures}, so the
 * global error filter answers `503` for it. Part of every data-access module of this library:
 * an app that talks to Postgres or Redis maps their outages without doing anything for it.
 */
@Injectable()
export class DependencyFailureRegistration {
  constructor(@Optional() failures?: DependencyFailures) {
    failures?.register(dependencyFailure);
  }
}
