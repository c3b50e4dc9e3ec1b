import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { request as httpRequest, Server } from 'node:http';
import { Writable } from 'node:stream';
import { Controller, Get, Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError } from '../errors/app-error';
import { DependencyFailures } from '../errors/dependency-failure';
import { ErrorCode } from '../errors/error-codes';
import { ServiceLogger } from '../logging/logger';
import { ServiceMetrics } from '../metrics/metrics';
import { createServiceApp } from './bootstrap';
import type { CorsPolicy } from './cors';
import { PlatformModule } from './platform.module';
import { RawRoute, RawRouter } from './raw-route';

const MEDIA = 'application/x-test';

function echoRoute(handle?: RawRoute['handle']): RawRoute {
  return {
    method: 'POST',
    path: '/echo',
    consumes: MEDIA,
    bodyLimit: 16,
    handle:
      handle ??
      (async (req) => ({ status: 200, contentType: 'application/x-echo', headers: { 'cache-control': 'no-store', 'x-id': req.id }, body: Buffer.from(req.body).reverse() })),
    openapi: { summary: 'Echo the body reversed', tags: ['test'], responses: { 200: { description: 'the body, reversed' } } },
  };
}

function sink(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A RawRouter on a bare HTTP server whose fallback answers 299 "fallback". */
async function rawServer(routes: RawRoute[], cors?: CorsPolicy) {
  const router = new RawRouter();
  const log = sink();
  const metrics = new ServiceMetrics('raw-test');
  router.install(routes, new ServiceLogger('raw-test', 'info', log.stream), metrics, undefined, cors);
  const server: Server = router.serverFactory()((_req, res) => {
    res.writeHead(299).end('fallback');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { router, base, log, metrics, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const post = (base: string, body: Buffer | string, type = MEDIA, path = '/echo') => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

describe('RawRouter', () => {
  let s: Awaited<ReturnType<typeof rawServer>>;
  let handle: RawRoute['handle'] | undefined;
  beforeAll(async () => {
    s = await rawServer([echoRoute((req) => (handle ? handle(req) : echoRoute().handle(req)))]);
  });
  afterEach(() => {
    handle = undefined;
  });
  afterAll(async () => {
    await s.close();
  });

  it('serves its route: status, media type, headers and the handler’s body', async () => {
    const res = await post(s.base, Buffer.from('abc'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-echo');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.text()).toBe('cba');
  });

  it('ignores the query string and media-type parameters', async () => {
    const res = await post(s.base, Buffer.from('xy'), `${MEDIA}; charset=binary`, '/echo?x=1');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('yx');
  });

  it('hands every other path and method to the fallback', async () => {
    expect((await fetch(`${s.base}/echo`)).status).toBe(299);
    expect((await post(s.base, 'a', MEDIA, '/echo/more')).status).toBe(299);
  });

  it.each<[string, () => Promise<Response>, number, string]>([
    ['another media type', () => post(s.base, '{}', 'application/json'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['no media type', () => fetch(`${s.base}/echo`, { method: 'POST', body: Buffer.from('a') }), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a declared length over the limit', () => post(s.base, Buffer.alloc(17)), 413, 'PAYLOAD_TOO_LARGE'],
    [
      'a chunked body that grows over the limit',
      () =>
        fetch(`${s.base}/echo`, {
          method: 'POST',
          headers: { 'content-type': MEDIA },
          duplex: 'half',
          body: new ReadableStream({
            start(c) {
              c.enqueue(new Uint8Array(10));
              c.enqueue(new Uint8Array(10));
              c.close();
            },
          }),
        } as RequestInit),
      413,
      'PAYLOAD_TOO_LARGE',
    ],
  ])('answers %s with the contract’s error body', async (_name, send, status, code) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/json');
    expect(await res.json()).toEqual({ statusCode: status, error: expect.any(String), code, message: expect.any(String) });
  });

  it('turns an AppError into its status, code and headers', async () => {
    handle = async () => {
      throw new AppError(ErrorCode.QUOTA_EXCEEDED, 'slow down', { headers: { 'Retry-After': '42' } });
    };
    const res = await post(s.base, Buffer.from('a'));
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('42');
    expect(await res.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', code: 'QUOTA_EXCEEDED', message: 'slow down' });
  });

  it('turns anything else (thrown or rejected) into a bare 500 and logs its stack', async () => {
    handle = () => {
      throw new Error('secret internals at 203.0.113.5');
    };
    const thrown = await post(s.base, Buffer.from('a'));
    handle = async () => Promise.reject(new TypeError('oops'));
    const rejected = await post(s.base, Buffer.from('a'));
    for (const res of [thrown, rejected]) {
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'Internal server error' });
    }
    const errors = s.log.lines().filter((l) => l.level === 50 && l.context === 'RawRouter');
    expect(errors.map((l) => l.msg)).toEqual([expect.stringContaining('secret internals at [ip]'), expect.stringContaining('TypeError: oops')]);
  });

  it('writes the request line and observes the route template, like every Fastify route', async () => {
    await post(s.base, Buffer.from('a'), MEDIA, '/echo?q=198.51.100.1');
    const line = s.log.lines().filter((l) => l.msg === 'request completed').pop()!;
    expect(line).toMatchObject({ level: 30, req: { method: 'POST', path: '/echo' }, res: { statusCode: 200 } });
    expect(JSON.stringify(line)).not.toContain('198.51.100.1');
    const metrics = await s.metrics.registry.metrics();
    expect(metrics).toMatch(/http_request_duration_seconds_count\{service="raw-test",method="POST",route="\/echo",status_code="200"\} [1-9]/);
  });

  it('after close() refuses new requests with 503 and closes the connection', async () => {
    const other = await rawServer([echoRoute()]);
    try {
      other.router.close();
      const { status, headers, body } = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = httpRequest(`${other.base}/echo`, { method: 'POST', headers: { 'content-type': MEDIA } }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
        });
        req.on('error', reject);
        req.end('a');
      });
      expect(status).toBe(503);
      expect(headers.connection).toBe('close');
      expect(JSON.parse(body)).toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await other.close();
    }
  });
});

describe('RawRouter options', () => {
  const WEB = 'http://127.0.0.1:4200';
  let s: Awaited<ReturnType<typeof rawServer>>;
  beforeAll(async () => {
    s = await rawServer([{ ...echoRoute(), allowEmptyBody: true }], { origin: WEB, methods: ['POST'], headers: ['content-type'], expose: ['retry-after'], maxAgeSec: 60 });
  });
  afterAll(async () => {
    await s.close();
  });

  it('with allowEmptyBody, hands a request with neither body nor Content-Type to the handler, and still refuses a body of another type', async () => {
    const bare = await fetch(`${s.base}/echo`, { method: 'POST' });
    expect(bare.status).toBe(200);
    expect(await bare.text()).toBe('');
    const typed = await fetch(`${s.base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'a' });
    expect(typed.status).toBe(415);
    const untypedBody = await fetch(`${s.base}/echo`, { method: 'POST', body: Buffer.from('a') });
    expect(untypedBody.status).toBe(415);
  });

  it('applies the CORS policy to answers and errors alike: the allow headers for the web origin only, Vary: Origin always', async () => {
    const fromWeb = await fetch(`${s.base}/echo`, { method: 'POST', headers: { origin: WEB, 'content-type': MEDIA }, body: 'ab' });
    expect(fromWeb.status).toBe(200);
    expect(fromWeb.headers.get('access-control-allow-origin')).toBe(WEB);
    expect(fromWeb.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect(fromWeb.headers.get('vary')).toBe('Origin');
    const refused = await fetch(`${s.base}/echo`, { method: 'POST', headers: { origin: WEB, 'content-type': 'text/plain' }, body: 'ab' });
    expect(refused.status).toBe(415);
    expect(refused.headers.get('access-control-allow-origin')).toBe(WEB);
    const elsewhere = await fetch(`${s.base}/echo`, { method: 'POST', headers: { origin: 'http://evil.test', 'content-type': MEDIA }, body: 'ab' });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get('access-control-allow-origin')).toBeNull();
    expect(elsewhere.headers.get('vary')).toBe('Origin');
  });
});

/** A failure of a dependency the test module registers, the way libs/database registers its drivers'. */
class StoreDown extends Error {}

@Injectable()
class StoreFailures {
  constructor(failures: DependencyFailures) {
    failures.register((e) => (e instanceof StoreDown ? 'the store' : undefined));
  }
}

@Controller('nest')
class NestController {
  @Get()
  hello(): { from: string } {
    return { from: 'nest' };
  }

  @Get('down')
  down(): never {
    throw new StoreDown('connect ECONNREFUSED 203.0.113.9:5432');
  }

  @Get('bug')
  bug(): never {
    throw new TypeError('x is not a function');
  }
}

@Module({
  imports: [PlatformModule.forRoot({ service: 'raw-test', logLevel: 'warn', readiness: { useFactory: () => [] } })],
  controllers: [NestController],
  providers: [StoreFailures],
})
class TestModule {}

describe('createServiceApp with raw routes', () => {
  let app: NestFastifyApplication;
  let base: string;
  beforeAll(async () => {
    const down: RawRoute = {
      ...echoRoute(async () => {
        throw new StoreDown('connect ECONNREFUSED 203.0.113.9:5432');
      }),
      path: '/down',
    };
    app = await createServiceApp({ service: 'raw-test', module: TestModule, port: 0, host: '127.0.0.1', description: 'test', rawRoutes: () => [echoRoute(), down] });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves the raw route and leaves every other request to Nest', async () => {
    const raw = await post(base, Buffer.from('ab'));
    expect(await raw.text()).toBe('ba');
    expect(await (await fetch(`${base}/nest`)).json()).toEqual({ from: 'nest' });
    const missing = await fetch(`${base}/echo`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe('NOT_FOUND');
  });

  it('answers a registered dependency failure with 503 UNAVAILABLE on raw and Nest routes alike, and anything else with a bare 500', async () => {
    for (const res of [await post(base, Buffer.from('a'), MEDIA, '/down'), await fetch(`${base}/nest/down`)]) {
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', code: 'UNAVAILABLE', message: 'the store is unavailable; try again later' });
    }
    const bug = await fetch(`${base}/nest/bug`);
    expect(bug.status).toBe(500);
    expect(((await bug.json()) as { code: string }).code).toBe('INTERNAL');
  });

  it('lists the raw route in the OpenAPI document beside the Nest routes', async () => {
    const doc = (await (await fetch(`${base}/docs-json`)).json()) as { paths: Record<string, Record<string, { summary?: string }>> };
    expect(doc.paths['/echo'].post.summary).toBe('Echo the body reversed');
    expect(doc.paths['/nest'].get).toBeDefined();
  });
});
