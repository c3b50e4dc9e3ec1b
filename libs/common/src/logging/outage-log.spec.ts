import { EventEmitter } from 'node:events';
import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ServiceLogger } from './logger';
import { OutageLog, OutageSink, logRedisErrors } from './outage-log';

function refused(port = 6379): Error {
  return Object.assign(new Error(`connect ECONNREFUSED 127.0.0.1:${port}`), { code: 'ECONNREFUSED' });
}

function recorder(): { sink: OutageSink; lines: Array<{ level: 'warn' | 'info' } & Record<string, unknown>> } {
  const lines: Array<{ level: 'warn' | 'info' } & Record<string, unknown>> = [];
  return { lines, sink: { warn: (f) => lines.push({ level: 'warn', ...f }), info: (f) => lines.push({ level: 'info', ...f }) } };
}

describe('OutageLog', () => {
  let t: number;
  const clock = () => t;
  beforeEach(() => (t = 1_000_000));

  it('logs the first failure of an outage at once, as a warning without the address', () => {
    const { sink, lines } = recorder();
    new OutageLog('cache', sink, { now: clock }).failure({}, refused(56379));
    expect(lines).toEqual([{ level: 'warn', msg: 'Redis unavailable', connection: 'cache', error: 'connect ECONNREFUSED [ip]:56379', code: 'ECONNREFUSED' }]);
  });

  it('writes at most one line per interval while the outage lasts, counting the failures in between', () => {
    const { sink, lines } = recorder();
    const log = new OutageLog('cache', sink, { now: clock, intervalMs: 10_000 });
    const client = {};
    log.failure(client, refused());
    for (let i = 0; i < 9; i++) {
      t += 1000;
      log.failure(client, refused());
    }
    expect(lines).toHaveLength(1);
    t += 1000; // 10 s after the first line
    log.failure(client, refused());
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ level: 'warn', msg: 'Redis still unavailable', connection: 'cache', error: 'connect ECONNREFUSED [ip]:6379', code: 'ECONNREFUSED', failures: 10, downForSec: 10 });
    t += 9999;
    log.failure(client, refused());
    expect(lines).toHaveLength(2);
    t += 1;
    log.failure(client, refused());
    expect(lines[2]).toMatchObject({ msg: 'Redis still unavailable', failures: 2, downForSec: 20 });
  });

  it('logs the recovery once, with the outage length and every failure, and starts afresh after it', () => {
    const { sink, lines } = recorder();
    const log = new OutageLog('cache', sink, { now: clock, intervalMs: 10_000 });
    const client = {};
    log.ready(client); // the first connection is no recovery
    expect(lines).toEqual([]);
    log.failure(client, refused());
    t += 4000;
    log.failure(client, refused());
    t += 1500;
    log.ready(client);
    log.ready(client);
    expect(lines.slice(1)).toEqual([{ level: 'info', msg: 'Redis available again', connection: 'cache', failures: 2, downForSec: 6 }]);
    expect(log.failing).toBe(false);
    t += 1000;
    log.failure(client, refused());
    expect(lines[2]).toMatchObject({ level: 'warn', msg: 'Redis unavailable' });
  });

  it('treats members of one connection as one outage that ends when the last failed member is ready', () => {
    const { sink, lines } = recorder();
    const log = new OutageLog('transport', sink, { now: clock });
    const [pub, sub] = [{}, {}];
    log.failure(pub, refused());
    log.failure(sub, refused());
    expect(lines).toHaveLength(1);
    log.ready(pub);
    expect(log.failing).toBe(true);
    log.ready(sub);
    expect(lines[1]).toMatchObject({ level: 'info', msg: 'Redis available again', failures: 2 });
  });

  it('names another dependency when told which (a ClickHouse the inserter cannot reach)', () => {
    const { sink, lines } = recorder();
    const log = new OutageLog('inserter', sink, { now: clock, intervalMs: 1000, dependency: 'ClickHouse' });
    log.failure(log, refused(8123));
    t += 1000;
    log.failure(log, refused(8123));
    log.ready(log);
    expect(lines.map((l) => l.msg)).toEqual(['ClickHouse unavailable', 'ClickHouse still unavailable', 'ClickHouse available again']);
  });

  it('describes errors without a message (Node’s AggregateError of a dual-stack connect) by their code', () => {
    const { sink, lines } = recorder();
    new OutageLog('cache', sink, { now: clock }).failure({}, Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }));
    expect(lines[0]).toMatchObject({ error: 'ECONNREFUSED', code: 'ECONNREFUSED' });
  });
});

describe('logRedisErrors', () => {
  afterEach(() => Logger.overrideLogger(true));

  it('listens for error events (an emitter without a listener throws) and writes JSON lines through the service logger', () => {
    const chunks: string[] = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        cb();
      },
    });
    Logger.overrideLogger(new ServiceLogger('test-service', 'info', out));
    const client = logRedisErrors(new EventEmitter(), 'cache');
    expect(() => client.emit('error', refused())).not.toThrow();
    client.emit('error', refused());
    client.emit('ready');
    const lines = chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, service: 'test-service', context: 'Redis', msg: 'Redis unavailable', connection: 'cache', code: 'ECONNREFUSED' }),
      expect.objectContaining({ level: 30, context: 'Redis', msg: 'Redis available again', connection: 'cache', failures: 2 }),
    ]);
    expect(chunks.join('')).not.toContain('127.0.0.1');
  });
});
