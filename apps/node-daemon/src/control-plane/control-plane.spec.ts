import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Patterns } from '@phoenix/common';
import { ConfigServiceClient } from './config-service.client';
import { ControlPlaneError } from './control-plane';
import { parseEvent } from './peer-events.subscriber';

describe('ConfigServiceClient', () => {
  let server: Server;
  let url: string;
  const seen: { method?: string; url?: string; auth?: string; ifNoneMatch?: string; body: string }[] = [];
  let reply: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer(async (req, res) => {
      let body = '';
      for await (const chunk of req) body += chunk;
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'], body });
      res.writeHead(reply.status, { 'content-type': 'application/json' }).end(JSON.stringify(reply.body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => (seen.length = 0));

  it('registers with the enrollment token and pulls peers with the node token', async () => {
    const client = new ConfigServiceClient(url, 'enrol-0123456789abcdef');
    reply = { status: 201, body: { id: 'n1', nodeToken: 'tok-0123456789abcdef', pulseIntervalSec: 15 } };
    expect(await client.register({ publicKey: 'k', endpoint: { host: 'h', port: 1 }, location: 'de-fra', capacity: 1, tunnelCidrV4: '100.64.0.0/16', ephemeral: false, version: '1' })).toEqual({
      id: 'n1',
      nodeToken: 'tok-0123456789abcdef',
      pulseIntervalSec: 15,
    });
    reply = { status: 200, body: { generation: 3, peers: [] } };
    expect(await client.desiredPeers('n1', 'tok-0123456789abcdef')).toEqual({ generation: 3, peers: [] });
    expect(seen.map((s) => [s.method, s.url, s.auth])).toEqual([
      ['POST', '/nodes/register', 'Bearer enrol-0123456789abcdef'],
      ['GET', '/nodes/n1/peers', 'Bearer tok-0123456789abcdef'],
    ]);
  });

  it('pulls conditionally with the generation held: a 304 is not-modified, a 200 the new set; a plain pull sends no If-None-Match', async () => {
    const client = new ConfigServiceClient(url);
    reply = { status: 304, body: {} };
    expect(await client.desiredPeers('n1', 'tok', 7)).toEqual({ notModified: true, generation: 7 });
    reply = { status: 200, body: { generation: 8, peers: [] } };
    expect(await client.desiredPeers('n1', 'tok', 7)).toEqual({ generation: 8, peers: [] });
    expect(await client.desiredPeers('n1', 'tok')).toEqual({ generation: 8, peers: [] });
    expect(seen.map((s) => s.ifNoneMatch)).toEqual(['"7"', '"7"', undefined]);
    // A 304 nobody asked for is not a set.
    reply = { status: 304, body: {} };
    await expect(client.desiredPeers('n1', 'tok')).rejects.toMatchObject({ failure: 'rejected', status: 304 });
  });

  it.each([
    [401, 'unauthorized'],
    [404, 'unknown-node'],
    [410, 'gone'],
    [503, 'unavailable'],
    [400, 'rejected'],
  ])('maps HTTP %i to %s', async (status, failure) => {
    reply = { status, body: { code: 'X' } };
    const error = await new ConfigServiceClient(url).pulse('n1', 't', { load: 0, peers: 0, rxBytes: 0, txBytes: 0, cpu: 0, healthy: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ControlPlaneError);
    expect(error).toMatchObject({ failure, status });
    expect((error as Error).message).toContain('/nodes/:id/pulse');
  });

  it('treats an unreachable server as unavailable and a malformed answer as rejected', async () => {
    await expect(new ConfigServiceClient('http://127.0.0.1:1').desiredPeers('n', 't')).rejects.toMatchObject({ failure: 'unavailable' });
    reply = { status: 200, body: { generation: 'x' } };
    await expect(new ConfigServiceClient(url).desiredPeers('n', 't')).rejects.toMatchObject({ failure: 'rejected' });
  });
});

describe('parseEvent (Redis transport packet)', () => {
  const data = { nodeId: 'n1', generation: 2, added: [{ publicKey: 'k', allowedIps: ['100.64.0.2/32'], expiresAt: 'x' }], removed: [] };

  it('reads the data of a Nest Redis-transport event packet', () => {
    expect(parseEvent(JSON.stringify({ pattern: Patterns.PEERS_CHANGED, data }))).toEqual(data);
    expect(parseEvent(JSON.stringify({ pattern: Patterns.PEERS_CHANGED, data: { ...data, decommissioned: true } }))).toMatchObject({ decommissioned: true });
  });

  it.each(['not json', '{}', JSON.stringify({ data: { ...data, generation: -1 } }), JSON.stringify({ data: { ...data, removed: 'k' } })])('ignores %s', (message) => {
    expect(parseEvent(message)).toBeNull();
  });
});
