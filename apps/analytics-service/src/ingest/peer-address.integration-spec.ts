import { request } from 'node:http';
import { ServiceProcess, dropRedisPrefix, freeLoopbackPort, spawnService, waitForHttp } from '@phoenix/common/testing';
import { TelemetryDb, markedEvents, scanTables, testLocation, testPrefix, until } from '../../test/ingest-support';

// Privacy invariant 6: analytics-service never reads the peer address. The client connects from an
// address of its own on loopback (127.77.88.99, not the 127.0.0.1 of everything else here) and
// claims others in every proxy header; the service runs as its own process at LOG_LEVEL=trace, and
// neither its whole output nor any stored row holds one of them.
const CLIENT_ADDRESS = '127.77.88.99';
const CLAIMED = ['203.0.113.195', '198.51.100.17', '203.0.113.196', '203.0.113.197', '2001:db8::42'];

interface Answer {
  status: number;
  retryAfter?: string;
  /** The address the request left from, as the client's socket saw it. */
  from: string;
}

function post(port: number, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        localAddress: CLIENT_ADDRESS,
        method: 'POST',
        path: '/v1/events',
        headers: {
          'content-type': 'application/json',
          'x-forwarded-for': `${CLAIMED[0]}, ${CLAIMED[1]}`,
          'x-real-ip': CLAIMED[2],
          forwarded: `for=${CLAIMED[3]};proto=https, for="[${CLAIMED[4]}]"`,
          'true-client-ip': CLAIMED[0],
          'cf-connecting-ip': CLAIMED[1],
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, from: req.socket?.localAddress ?? '' }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('the peer address, seen from analytics-service', () => {
  let db: TelemetryDb;
  let svc: ServiceProcess | undefined;
  let port: number;
  const prefix = testPrefix();

  beforeAll(async () => {
    db = await TelemetryDb.create('peer');
    port = await freeLoopbackPort();
    svc = spawnService('analytics-service', { ...process.env, CLICKHOUSE_URL: db.url, REDIS_KEY_PREFIX: prefix, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'trace' });
    const running = svc;
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}\n${running.output()}`);
    });
  }, 90_000);

  afterAll(async () => {
    await svc?.stop();
    await dropRedisPrefix(prefix);
    await db?.drop();
  });

  it('is in no log line and no row, whatever the request claims and however it ends', async () => {
    const location = testLocation();
    const before = svc!.output().length;
    const answers = [
      await post(port, JSON.stringify({ events: markedEvents(location, 0, 20) })),
      // Refused: an `ip` field, with an address in it.
      await post(port, JSON.stringify({ events: [{ ...markedEvents(location, 20, 1)[0], ip: CLAIMED[0] }] })),
      // Refused: not JSON.
      await post(port, `{"events": [${CLAIMED[1]}`),
    ];
    expect(answers.map((a) => a.status)).toEqual([202, 400, 400]);
    // The requests really came from the client's own address.
    expect(answers.every((a) => a.from === CLIENT_ADDRESS)).toBe(true);
    await until('the accepted batch in ClickHouse', async () => (await db.count()) === 20);
    // A graceful stop: every line written.
    expect(await svc!.stop()).toEqual({ code: null, signal: 'SIGTERM' });

    const output = svc!.output();
    const requestLines = output.slice(before).split('\n').filter((l) => l.includes('"request completed"'));
    expect(requestLines).toHaveLength(3);
    for (const address of [CLIENT_ADDRESS, ...CLAIMED]) expect(output).not.toContain(address);
    // Not even redacted: no address reached the logger after start-up (whose own line names the listening host).
    expect(output.slice(before)).not.toContain('[ip]');
    expect(output).not.toMatch(/remoteAddress|remote_addr|"ip":/i);

    const { rows, findings } = await scanTables(db);
    expect(rows).toBe(20);
    expect(findings).toEqual([]);
  }, 60_000);
});
