import { runInNewContext } from 'node:vm';
import { dependencyFailure, isDependencyFailure } from './dependency-failure';

const pgError = (code: string, message = 'pg') => Object.assign(new Error(message), { code });

describe('isDependencyFailure', () => {
  it.each<[string, unknown]>([
    ['a refused connection', new Error('connect ECONNREFUSED [ip]:5432')],
    ['a refused connection to several addresses (AggregateError, no message)', Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' })],
    ['a lost Postgres connection (08006)', pgError('08006')],
    ['Postgres shutting down (57P01)', pgError('57P01')],
    ['too many connections (53300)', pgError('53300')],
    ['an unmigrated schema (42P01 undefined table)', pgError('42P01', 'relation "issuer_keys" does not exist')],
    ['ioredis giving up', Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })],
    ['a Redis Cluster client before it is ready (fail-fast)', new Error("Cluster isn't ready and enableOfflineQueue options is false")],
    ['a Redis Cluster client that lost every node', new Error('Failed to refresh slots cache.')],
    ['a Redis Cluster that is down', new Error('CLUSTERDOWN The cluster is down')],
    ['a Redis Cluster slot without a reachable owner', new Error('Too many Cluster redirections. Last error: Error: Connection is closed.')],
    // Node's own modules raise their socket errors in another realm than a Jest sandbox's `Error`.
    ['a refused connection raised in another realm', runInNewContext(`Object.assign(new Error('connect ECONNREFUSED [ip]:8123'), { code: 'ECONNREFUSED' })`)],
  ])('is true for %s', (_name, e) => {
    expect(isDependencyFailure(e)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation (23505)', pgError('23505')],
    ['a bug', new TypeError('x is not a function')],
    ['a non-error', 'ECONNREFUSED'],
  ])('is false for %s', (_name, e) => {
    expect(isDependencyFailure(e)).toBe(false);
  });
});

describe('dependencyFailure', () => {
  it('names the dependency for the 503 message where the error tells', () => {
    expect(dependencyFailure(pgError('57P01', 'terminating connection due to administrator command'))).toBe('database');
    expect(dependencyFailure(Object.assign(new Error('query failed'), { driverError: { message: 'Connection terminated unexpectedly' } }))).toBe('database');
    expect(dependencyFailure(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe('redis');
    expect(dependencyFailure(new Error('connect ECONNREFUSED [ip]:6379'))).toBe('a dependency');
    expect(dependencyFailure(pgError('23505'))).toBeUndefined();
  });
});
