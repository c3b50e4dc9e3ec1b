import { TestApp, TestDatabase, migratedTestDatabase, startTestApp, testEnv, uniquePrefix } from '../test/helpers';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}

describe('OpenAPI', () => {
  let db: TestDatabase;
  let t: TestApp;
  let paths: Record<string, Record<string, Operation>>;

  beforeAll(async () => {
    db = await migratedTestDatabase();
    t = await startTestApp(testEnv(db, uniquePrefix()));
    paths = ((await (await fetch(`${t.base}/docs-json`)).json()) as { paths: typeof paths }).paths;
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each([
    ['get', '/.well-known/private-token-issuer-directory'],
    ['post', '/token-request'],
    ['post', '/auth/vpn-token'],
    ['post', '/admin/issuer-keys/rotate'],
    ['get', '/account'],
    ['delete', '/account'],
    ['get', '/account/export'],
    ['get', '/account/subscription'],
    ['post', '/account/trial'],
    ['get', '/account/payments'],
    ['get', '/account/preferences'],
    ['put', '/account/preferences'],
    ['post', '/billing/checkout'],
    ['post', '/billing/portal'],
    ['post', '/webhooks/stripe'],
    ['post', '/webhooks/apple'],
    ['post', '/admin/tenants'],
    ['get', '/admin/tenants'],
    ['get', '/admin/tenants/{id}'],
    ['post', '/admin/tenants/{id}/suspend'],
    ['post', '/admin/tenants/{id}/resume'],
    ['post', '/admin/tenants/{id}/api-keys'],
    ['get', '/admin/tenants/{id}/api-keys'],
    ['delete', '/admin/tenants/{id}/api-keys/{keyId}'],
    ['get', '/admin/tenants/{id}/billing'],
    ['put', '/admin/tenants/{id}/billing'],
    ['post', '/api/v1/auth/register'],
    ['post', '/api/v1/auth/login'],
    ['post', '/api/v1/auth/refresh'],
    ['get', '/api/v1/auth/me'],
    ['post', '/api/v1/devices'],
    ['get', '/api/v1/devices'],
    ['delete', '/api/v1/devices/{id}'],
    ['post', '/api/v1/devices/{id}/tokens'],
    ['get', '/api/v1/usage'],
    ['get', '/token-issuers'],
    ['get', '/tenants/{id}/.well-known/private-token-issuer-directory'],
  ])('describes %s %s with a tag, a summary and its responses', (method, path) => {
    const op = paths[path]?.[method];
    expect(op).toBeDefined();
    expect(op.tags?.length).toBeGreaterThan(0);
    expect(op.summary).toBeTruthy();
    expect(Object.keys(op.responses).length).toBeGreaterThan(0);
  });

  it('documents the binary media types of the token request', () => {
    const op = paths['/token-request'].post;
    expect(op.requestBody?.content['application/private-token-request']).toEqual({ schema: { type: 'string', format: 'binary' } });
    expect(op.responses['200'].content?.['application/private-token-response']).toBeDefined();
    expect(op.security).toEqual([{ bearer: [] }]);
    expect(paths['/.well-known/private-token-issuer-directory'].get.responses['200'].content?.['application/private-token-issuer-directory']).toBeDefined();
  });
});
