import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The platform contract every service keeps (API.md "Conventions"), as one suite each app's
 * integration spec runs against its real dependencies.
 */
export function describeServiceBasics(service: string, build: () => Promise<NestFastifyApplication>, expectedChecks: string[]): void {
  describe(`${service}: platform basics`, () => {
    let app: NestFastifyApplication;
    let base: string;

    beforeAll(async () => {
      app = await build();
      await app.listen(0, '127.0.0.1');
      base = await app.getUrl();
      // The database connects in the background; wait (bounded) until the service is ready.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if ((await fetch(`${base}/health/ready`)).status === 200) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    });
    afterAll(async () => {
      await app?.close();
    });

    it('answers /health/live', async () => {
      const res = await fetch(`${base}/health/live`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ status: 'ok' });
    });

    it('is ready when every dependency answers, and names each check', async () => {
      const res = await fetch(`${base}/health/ready`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(Object.keys(body.checks).sort()).toEqual([...expectedChecks].sort());
      expect(Object.values(body.checks).every((s) => s === 'up')).toBe(true);
    });

    it('serves OpenAPI at /docs-json and the UI at /docs', async () => {
      const json = await fetch(`${base}/docs-json`);
      expect(json.status).toBe(200);
      const doc = (await json.json()) as { openapi: string; info: { title: string }; paths: Record<string, unknown> };
      expect(doc.openapi).toMatch(/^3\./);
      expect(doc.info.title).toBe(`Phoenix ${service}`);
      expect(doc.paths['/health/ready']).toBeDefined();
      const ui = await fetch(`${base}/docs`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toContain('swagger');
    });

    it('exposes Prometheus metrics labelled with the service, by route template', async () => {
      await fetch(`${base}/health/live`);
      const res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      const text = await res.text();
      expect(text).toContain(`http_request_duration_seconds_count{service="${service}",method="GET",route="/health/live",status_code="200"}`);
      expect(text).toContain('process_cpu_user_seconds_total');
    });

    it('answers an unknown route with the contract error body', async () => {
      const res = await fetch(`${base}/no-such-route`);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ statusCode: 404, error: 'Not Found', code: 'NOT_FOUND', message: 'Cannot GET /no-such-route' });
    });

    it('rejects malformed JSON with 400 MALFORMED_BODY, and oversize bodies with 413', async () => {
      const bad = await fetch(`${base}/health/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { code: string }).code).toBe('MALFORMED_BODY');
      const big = await fetch(`${base}/health/live`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: `"${'a'.repeat(2 * 1024 * 1024)}"` });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { code: string }).code).toBe('PAYLOAD_TOO_LARGE');
    });
  });
}
