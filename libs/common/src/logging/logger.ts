import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import { redactIps, redactIpsDeep } from './redact';

/** Header and field paths whose values never reach a log line. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["stripe-signature"]',
  'req.headers["x-forwarded-for"]',
  'req.headers["x-real-ip"]',
  'req.headers.forwarded',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.nodeToken',
  '*.secret',
  '*.privateKey',
  '*.apiKey',
];

const QUIET_PATHS = ['/health/live', '/health/ready', '/metrics'];

function pathOnly(url: string | undefined): string {
  if (!url) return '';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * nestjs-pino settings for a service: JSON logs with the service name, secrets redacted by path,
 * IP addresses scrubbed from every string, and request logs that never carry the peer address
 * (the `req` serializer keeps only id, method and path: no remoteAddress, no headers).
 */
export function loggerParams(service: string, level: string): Params {
  return {
    pinoHttp: {
      level,
      base: { service },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      formatters: {
        log: (obj: Record<string, unknown>) => redactIpsDeep(obj) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactIps(a) : a)));
        },
      },
      serializers: {
        req: (req: { id?: unknown; method?: string; url?: string }) => ({ id: req.id, method: req.method, path: pathOnly(req.url) }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
      },
      genReqId: () => randomUUID(),
      autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.includes(pathOnly(req.url)) },
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
