import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, loadConfig } from '@phoenix/common';
import { dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { onlySchedules, uniqueJobsPrefix } from '../../test/support';
import { AppModule } from '../app.module';
import { configShape } from '../config';

const TOKEN = 'board-test-admin-token-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board at /admin/queues, behind ADMIN_TOKEN', () => {
  let app: NestFastifyApplication;
  let base: string;
  const prefix = uniqueJobsPrefix();

  beforeAll(async () => {
    const config = loadConfig(configShape, { ...process.env, ...onlySchedules({}), REDIS_URL: sideRedisUrl('job-worker'), JOBS_PREFIX: prefix, ADMIN_TOKEN: TOKEN, LOG_LEVEL: 'silent' });
    app = await createServiceApp({ service: 'job-worker', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app?.close();
    await dropRedisPrefix(prefix);
  });

  const get = (path: string, authorization?: string) => fetch(`${base}${path}`, { headers: authorization ? { authorization } : {} });

  it.each([
    ['no credentials', undefined],
    ['a wrong bearer token', 'Bearer wrong-token-0123456789abcdef'],
    ['a wrong password', basic('admin', 'wrong')],
    ['the token in the user name', basic(TOKEN, '')],
    ['another scheme', `Token ${TOKEN}`],
  ])('answers 401 to %s, on the page, its API and its assets', async (_what, authorization) => {
    for (const path of ['/admin/queues', '/admin/queues/', '/admin/queues/api/queues', '/admin/queues/queue/schedules', '/admin/queues/static/favicon-32x32.png']) {
      const res = await get(path, authorization);
      expect([path, res.status]).toEqual([path, 401]);
      expect(await res.json()).toEqual({ statusCode: 401, error: 'Unauthorized', code: 'UNAUTHENTICATED', message: 'admin token required' });
      expect(res.headers.get('www-authenticate')).toContain('Basic realm="job-worker admin"');
    }
    // The board's actions too, before their bodies are even read.
    const retry = await fetch(`${base}/admin/queues/api/queues/schedules/retry/failed`, { method: 'PUT', headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/json' }, body: '{}' });
    expect(retry.status).toBe(401);
  });

  it('does not let a differently spelled path around the hook', async () => {
    for (const path of ['/admin/%71ueues', '/admin/queues%2F', '/admin//queues', '/ADMIN/queues', '/admin/queues/../queues/api/queues']) {
      expect([path, (await get(path)).status]).not.toEqual([path, 200]);
    }
  });

  it('serves the board with the token, as a bearer token or as the password of a browser login', async () => {
    const page = await get('/admin/queues', `Bearer ${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect((await get('/admin/queues', basic('operator', TOKEN))).status).toBe(200);
    const api = await get('/admin/queues/api/queues', basic('', TOKEN));
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string }> };
    // The sandboxed blocklist.compile's queue is there too: add a job, retry a failed run.
    expect(body.queues.map((q) => q.name)).toEqual(['schedules', 'blocklist']);
  });

  it('leaves the rest of the app as it was', async () => {
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/metrics')).status).toBe(200);
  });
});
