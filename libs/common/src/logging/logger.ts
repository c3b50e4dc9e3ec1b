import type { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Level, Logger, LoggerOptions } from 'pino';
import { redactIps, redactIpsDeep } from './redact';

/** Field paths whose values never reach a log line (whatever object they are logged in). */
export const REDACTED_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["stripe-signature"]',
  'headers["x-forwarded-for"]',
  'headers["x-real-ip"]',
  'headers.forwarded',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["stripe-signature"]',
  '*.headers["x-forwarded-for"]',
  'password',
  'token',
  'idToken',
  'nodeToken',
  'secret',
  'privateKey',
  'apiKey',
  '*.password',
  '*.token',
  '*.idToken',
  '*.nodeToken',
  '*.secret',
  '*.privateKey',
  '*.apiKey',
];

/** Requests that are polled all day long and never logged. */
const QUIET_PATHS = new Set(['/health/live', '/health/ready', '/metrics']);

/** The path of a request URL, without its query string. */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * pino settings for a service: JSON lines with the service name, secrets redacted by path, and
 * every IPv4/IPv6 address scrubbed from every string (privacy invariant 6).
 */
export function pinoOptions(service: string, level: string): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: {
      log: (obj: Record<string, unknown>) => redactIpsDeep(obj) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? redactIps(a) : a)) as Parameters<typeof method>);
      },
    },
  };
}

/**
 * The one logger of a service: pino underneath, Nest's `LoggerService` on top (so Nest's own
 * messages and every `new Logger(ctx)` land here), and the request log line written from a
 * Fastify `onResponse` hook.
 *
 * Deliberately no per-request middleware and no AsyncLocalStorage: on Node 20 an active
 * AsyncLocalStorage runs a hook on every promise of every request, which showed as the largest
 * cost after RSA on the issuance path. Request lines carry an id, method, path (no query),
 * status and duration — never the peer address or a header.
 */
export class ServiceLogger implements LoggerService {
  readonly pino: Logger;

  constructor(service: string, level: string, destination?: DestinationStream) {
    this.pino = destination ? pino(pinoOptions(service, level), destination) : pino(pinoOptions(service, level));
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('info', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('trace', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /** Nest calls `error(message, stack?, context?)`. */
  error(message: unknown, ...params: unknown[]): void {
    if (!this.pino.isLevelEnabled('error')) return;
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const stack = typeof params[0] === 'string' ? (params[0] as string) : undefined;
    if (message instanceof Error) this.pino.error({ context, err: message }, message.message);
    else this.pino.error({ context, ...(stack ? { stack } : {}) }, typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * One line per finished request: `info` for 1xx-3xx, `warn` for 4xx, `error` for 5xx; health
   * probes and metric scrapes are not logged.
   */
  request(id: string, method: string, url: string, statusCode: number, ms: number): void {
    const level: Level = statusCode >= 500 ? 'error' : statusCode >= 400 ? 'warn' : 'info';
    if (!this.pino.isLevelEnabled(level)) return;
    const path = pathOnly(url);
    if (QUIET_PATHS.has(path)) return;
    this.pino[level]({ req: { id, method, path }, res: { statusCode }, responseTime: Math.round(ms * 10) / 10 }, 'request completed');
  }

  private write(level: Level, message: unknown, params: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? (params[params.length - 1] as string) : undefined;
    if (typeof message === 'string') this.pino[level]({ context }, message);
    else if (message instanceof Error) this.pino[level]({ context, err: message }, message.message);
    else if (message !== null && typeof message === 'object' && !Array.isArray(message)) this.pino[level]({ context, ...(message as Record<string, unknown>) });
    else this.pino[level]({ context }, String(message));
  }
}
