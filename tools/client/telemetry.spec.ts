import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from './cli';
import { batches, generateTelemetry, seededRandom, TelemetryEvent } from './telemetry';

// The rules of API.md "analytics-service" (POST /v1/events), written out here on their own so that
// the generator is checked against the contract and not against itself.
const DAY_MS = 24 * 3_600_000;
const API = {
  platforms: ['ios', 'android', 'macos', 'windows', 'linux', 'web'],
  failureReasons: ['handshake_timeout', 'token_rejected', 'no_capacity', 'network_unreachable', 'other'],
  durationBuckets: ['<1m', '1-10m', '10-60m', '1-4h', '4-24h', '>24h'],
  transferBuckets: ['<100MB', '100MB-1GB', '1GB-5GB', '5GB-20GB', '>20GB'],
  location: /^[a-z]{2}-[a-z0-9]{2,16}$/,
  appVersion: /^\d+\.\d+(\.\d+)?$/,
  iso: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
};

/** Why `e` breaks API.md, or null when it is a valid event at `now`. */
function violation(e: Record<string, unknown>, now: number): string | null {
  const isInt = (v: unknown, max: number) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= max;
  const isNum = (v: unknown, max: number) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= max;
  const common = ['type', 'platform', 'appVersion', 'at'];
  let allowed: string[];
  let required: string[];
  switch (e.type) {
    case 'connection':
      allowed = [...common, 'location', 'outcome', 'failureReason', 'handshakeMs'];
      required = e.outcome === 'success' ? ['location', 'outcome', 'handshakeMs'] : ['location', 'outcome', 'failureReason'];
      if (e.outcome !== 'success' && e.outcome !== 'failure') return 'outcome';
      if (e.outcome === 'success' && 'failureReason' in e) return 'failureReason with success';
      if (e.outcome === 'failure' && !API.failureReasons.includes(e.failureReason as string)) return 'failureReason';
      if ('handshakeMs' in e && !isInt(e.handshakeMs, 60_000)) return 'handshakeMs';
      break;
    case 'throughput':
      allowed = [...common, 'location', 'downMbps', 'upMbps'];
      required = ['location', 'downMbps', 'upMbps'];
      if (!isNum(e.downMbps, 100_000) || !isNum(e.upMbps, 100_000)) return 'Mbps';
      break;
    case 'session':
      allowed = [...common, 'location', 'durationBucket', 'transferBucket'];
      required = ['location', 'durationBucket', 'transferBucket'];
      if (!API.durationBuckets.includes(e.durationBucket as string) || !API.transferBuckets.includes(e.transferBucket as string)) return 'bucket';
      break;
    case 'blocking':
      allowed = [...common, 'mbBlocked', 'requestsBlocked', 'timeSavedSec'];
      required = ['mbBlocked', 'requestsBlocked', 'timeSavedSec'];
      if (!isNum(e.mbBlocked, 100_000) || !isInt(e.requestsBlocked, 10_000_000) || !isInt(e.timeSavedSec, 86_400)) return 'blocking numbers';
      break;
    default:
      return 'type';
  }
  for (const k of Object.keys(e)) if (!allowed.includes(k)) return `unknown field ${k}`;
  for (const k of ['type', 'platform', 'appVersion', ...required]) if (!(k in e)) return `missing ${k}`;
  if ('location' in e && (typeof e.location !== 'string' || !API.location.test(e.location))) return 'location';
  if (!API.platforms.includes(e.platform as string)) return 'platform';
  if (typeof e.appVersion !== 'string' || !API.appVersion.test(e.appVersion)) return 'appVersion';
  if ('at' in e) {
    if (typeof e.at !== 'string' || !API.iso.test(e.at)) return 'at format';
    const t = Date.parse(e.at);
    if (!(t <= now && t >= now - 7 * DAY_MS)) return 'at range';
  }
  return null;
}

const locations = [
  { id: 'de-fra', available: true },
  { id: 'nl-ams', available: true },
  { id: 'us-nyc', available: false },
  { id: 'au-syd', available: false },
];
const now = new Date('2026-11-30T10:20:00.000Z');

describe('telemetry generator', () => {
  const events = generateTelemetry({ locations, count: 5000, now, random: seededRandom(13) });

  it('makes only events API.md accepts (fields, enums, ranges, times)', () => {
    expect(events).toHaveLength(5000);
    const bad = events.map((e) => [violation(e as unknown as Record<string, unknown>, now.getTime()), e] as const).filter(([v]) => v !== null);
    expect(bad).toEqual([]);
  });

  it('over many seeds and small counts too, with the current hour barely begun', () => {
    const early = new Date('2026-11-30T10:00:00.400Z');
    for (let seed = 1; seed <= 200; seed++) {
      const at = seed % 2 ? now : early;
      for (const e of generateTelemetry({ locations: locations.slice(0, 1 + (seed % 4)), count: 1 + (seed % 7), now: at, random: seededRandom(seed) })) {
        expect([violation(e as unknown as Record<string, unknown>, at.getTime()), e]).toEqual([null, e]);
      }
    }
  });

  it('mixes all four types, every platform, both outcomes and every failure reason, over several hours of the last day', () => {
    const types = new Set(events.map((e) => e.type));
    expect([...types].sort()).toEqual(['blocking', 'connection', 'session', 'throughput']);
    expect(new Set(events.map((e) => e.platform)).size).toBe(6);
    const connections = events.filter((e): e is Extract<TelemetryEvent, { type: 'connection' }> => e.type === 'connection');
    const failures = connections.filter((e) => e.outcome === 'failure');
    expect(failures.length / connections.length).toBeGreaterThan(0.03);
    expect(failures.length / connections.length).toBeLessThan(0.2);
    expect(new Set(failures.map((e) => (e as { failureReason: string }).failureReason)).size).toBe(5);
    const hours = new Set(events.map((e) => e.at.slice(0, 13)));
    expect(hours.size).toBe(4);
    for (const e of events) expect(now.getTime() - Date.parse(e.at)).toBeLessThan(DAY_MS);
    expect(new Set(events.flatMap((e) => ('location' in e ? [e.location] : []))).size).toBe(locations.length);
  });

  it('sends available locations more traffic, enough to fill their cells past k = 10', () => {
    const per = (id: string) => events.filter((e) => e.type === 'connection' && e.location === id).length;
    expect(per('de-fra')).toBeGreaterThan(2 * per('us-nyc'));
    // 4 hours: every (available location, hour) cell of the connections panel gets well over 10.
    expect(per('de-fra') / 4).toBeGreaterThan(50);
  });

  it('cuts batches of at most 500', () => {
    expect(batches(events).map((b) => b.length)).toEqual(Array(10).fill(500));
    expect(batches(events.slice(0, 1234)).map((b) => b.length)).toEqual([500, 500, 234]);
  });
});

/** A stand-in for config-service (GET /locations) and analytics-service (POST /v1/events) on loopback. */
class Stub {
  batches: unknown[][] = [];
  contentTypes: string[] = [];
  answer: (n: number, events: unknown[]) => { status: number; body: unknown; headers?: Record<string, string> } = (_n, events) => ({ status: 202, body: { accepted: events.length } });
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.method === 'GET' && req.url === '/locations') {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(locations.map((l) => ({ ...l, country: 'XX', city: 'X', load: 'low' }))));
          return;
        }
        if (req.method === 'POST' && req.url === '/v1/events') {
          this.contentTypes.push(String(req.headers['content-type']));
          const events = (JSON.parse(body) as { events: unknown[] }).events;
          this.batches.push(events);
          const a = this.answer(this.batches.length, events);
          res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(JSON.stringify(a.body));
          return;
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('client telemetry command (against a local stub of both services)', () => {
  let stub: Stub;
  let out: string;
  let err: string;
  const io = () => ({ out: (l: string) => (out += `${l}\n`), err: (l: string) => (err += `${l}\n`), env: { HOME: '/nonexistent-home' }, now: () => now });

  beforeEach(async () => {
    stub = await new Stub().start();
    out = '';
    err = '';
  });
  afterEach(() => stub.close());

  const args = (count: string) => ['telemetry', '--count', count, '--config-url', stub.url, '--analytics-url', stub.url, '--state-dir', `/tmp/phx-telemetry-spec-${process.pid}`];

  it('sends every event in batches of at most 500 as {"events": [...]} and prints how many were accepted', async () => {
    expect(await run(args('1234'), io())).toBe(0);
    expect(stub.batches.map((b) => b.length)).toEqual([500, 500, 234]);
    expect(stub.contentTypes.every((c) => c.startsWith('application/json'))).toBe(true);
    for (const e of stub.batches.flat()) expect(violation(e as Record<string, unknown>, now.getTime())).toBeNull();
    expect(out).toMatch(/^analytics-service accepted 1234 of 1234 events \(\d+ connection, \d+ throughput, \d+ session, \d+ blocking\) for 4 locations over 4 hours, in 3 batch\(es\)\n$/);
  });

  it('stops at a 400 with its code and says how far it got (exit 1)', async () => {
    stub.answer = (n, events) => (n === 2 ? { status: 400, body: { code: 'VALIDATION_FAILED', message: 'events.3.platform: invalid option' } } : { status: 202, body: { accepted: events.length } });
    expect(await run(args('1500'), io())).toBe(1);
    expect(stub.batches).toHaveLength(2);
    expect(err).toContain('batch 2 of 3 refused; 500 of 1500 events were accepted before it');
    expect(err).toContain('analytics-service answered 400 VALIDATION_FAILED: events.3.platform: invalid option');
  });

  it('stops at a 503 with its code and Retry-After (exit 3)', async () => {
    stub.answer = () => ({ status: 503, body: { code: 'UNAVAILABLE', message: 'backlog full' }, headers: { 'retry-after': '30' } });
    expect(await run(args('10'), io())).toBe(3);
    expect(err).toContain('batch 1 of 1 refused; 0 of 10 events were accepted before it');
    expect(err).toContain('analytics-service is temporarily unavailable (503 UNAVAILABLE');
    expect(err).toContain('try again in 30 s (Retry-After: 30)');
  });

  it('says when analytics-service cannot be reached (exit 3)', async () => {
    const gone = await new Stub().start();
    await gone.close();
    expect(await run(['telemetry', '--count', '5', '--config-url', stub.url, '--analytics-url', gone.url], io())).toBe(3);
    expect(err).toContain(`cannot reach analytics-service at ${gone.url}/v1/events`);
  });
});
