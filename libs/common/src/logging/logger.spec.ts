import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ServiceLogger } from './logger';

function capture(level = 'info'): { logger: ServiceLogger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = new ServiceLogger('test-service', level, sink);
  const lines = () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines };
}

describe('ServiceLogger', () => {
  it('writes JSON lines with the service name, level and Nest context', () => {
    const { logger, lines } = capture();
    logger.log('started', 'Bootstrap');
    logger.warn('careful');
    expect(lines()).toEqual([
      expect.objectContaining({ service: 'test-service', level: 30, context: 'Bootstrap', msg: 'started' }),
      expect.objectContaining({ service: 'test-service', level: 40, msg: 'careful' }),
    ]);
  });

  it('scrubs IPv4 and IPv6 addresses from messages, fields, nested objects and errors', () => {
    const { logger, lines } = capture();
    logger.log('peer 203.0.113.7 connected from 2001:db8::1');
    logger.warn({ detail: { from: '198.51.100.23:443', list: ['fe80::1%eth0'] } });
    logger.error(new Error('connect ECONNREFUSED 127.0.0.1:5432'));
    logger.error('failed for 192.0.2.1', 'Error: at 192.0.2.1\n    at x', 'Ctx');
    const text = JSON.stringify(lines());
    for (const ip of ['203.0.113.7', '2001:db8::1', '198.51.100.23', 'fe80::1', '127.0.0.1', '192.0.2.1']) expect(text).not.toContain(ip);
    expect(text.match(/\[ip\]/g)?.length).toBeGreaterThanOrEqual(6);
    expect(lines()[3]).toMatchObject({ level: 50, context: 'Ctx', stack: expect.stringContaining('[ip]') });
  });

  it('redacts secrets by field name and header name', () => {
    const { logger, lines } = capture();
    logger.log({ password: 'hunter2', nested: { token: 'tok-123', privateKey: 'pk-456' }, headers: { authorization: 'Bearer abc.def' } });
    const [line] = lines();
    expect(JSON.stringify(line)).not.toMatch(/hunter2|tok-123|pk-456|abc\.def/);
    expect(line).toMatchObject({ password: '[redacted]', nested: { token: '[redacted]', privateKey: '[redacted]' }, headers: { authorization: '[redacted]' } });
  });

  it('is where Nest loggers write once installed', () => {
    const { logger, lines } = capture();
    Logger.overrideLogger(logger);
    try {
      new Logger('Issuance').warn('quota store slow');
    } finally {
      Logger.overrideLogger(['error']);
    }
    expect(lines()).toEqual([expect.objectContaining({ level: 40, context: 'Issuance', msg: 'quota store slow' })]);
  });

  describe('request lines', () => {
    it('carry id, method, path without the query, status and duration — nothing else of the request', () => {
      const { logger, lines } = capture();
      logger.request('id-1', 'POST', '/vpn/config?client=198.51.100.9', 200, 12.345);
      expect(lines()).toEqual([
        { level: 30, time: expect.any(Number), service: 'test-service', req: { id: 'id-1', method: 'POST', path: '/vpn/config' }, res: { statusCode: 200 }, responseTime: 12.3, msg: 'request completed' },
      ]);
    });

    it('log 4xx as warn and 5xx as error, and skip health probes and metric scrapes', () => {
      const { logger, lines } = capture();
      logger.request('a', 'GET', '/health/ready', 200, 1);
      logger.request('b', 'GET', '/metrics?x=1', 200, 1);
      logger.request('c', 'GET', '/account', 404, 1);
      logger.request('d', 'GET', '/account', 503, 1);
      expect(lines().map((l) => [l.level, (l.req as { id: string }).id])).toEqual([
        [40, 'c'],
        [50, 'd'],
      ]);
    });

    it('honour the level: at warn, successful requests write nothing', () => {
      const { logger, lines } = capture('warn');
      logger.request('a', 'POST', '/token-request', 200, 1);
      logger.request('b', 'POST', '/token-request', 429, 1);
      expect(lines().map((l) => (l.req as { id: string }).id)).toEqual(['b']);
    });
  });
});
