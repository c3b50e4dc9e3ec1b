// A small stand-in for config-service's node endpoints (API.md "Nodes"), for the integration
// specs: it registers nodes idempotently by public key, answers pulses with the desired-state
// generation, serves the desired peer set (ETag: "<generation>"; 304 to an If-None-Match naming the
// current one, as config-service answers), and can be told to be down (503), to refuse the
// token (401) or to have decommissioned the node (410).
import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { DesiredPeer } from '@phoenix/common';

export interface RecordedRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  ifNoneMatch: string | undefined;
  /** The status answered. */
  status?: number;
  body: unknown;
}

export class ConfigServiceStandIn {
  readonly requests: RecordedRequest[] = [];
  readonly nodeId = `node-${randomBytes(4).toString('hex')}`;
  generation = 1;
  peers: DesiredPeer[] = [];
  mode: 'up' | 'down' | 'decommissioned' = 'up';
  registeredKey: string | null = null;
  private tokens = new Set<string>();
  private server: Server | null = null;
  url = '';

  constructor(readonly enrollmentToken: string) {}

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Changes the desired set and bumps the generation (what config-service does on a lease change). */
  setPeers(peers: DesiredPeer[]): number {
    this.peers = peers;
    return ++this.generation;
  }

  pulses(): RecordedRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/pulse'));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = raw ? (JSON.parse(raw) as unknown) : undefined;
    const path = req.url ?? '';
    const recorded: RecordedRequest = { method: req.method ?? '', path, authorization: req.headers.authorization, ifNoneMatch: req.headers['if-none-match'], body };
    this.requests.push(recorded);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      recorded.status = status;
      if (status === 304) return void res.writeHead(304, headers).end();
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(payload));
    };
    if (path === '/health/live') return void send(this.mode === 'down' ? 503 : 200, { status: 'ok' });
    if (this.mode === 'down') return void send(503, { statusCode: 503, code: 'UNAVAILABLE' });
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');

    if (req.method === 'POST' && path === '/nodes/register') {
      if (bearer !== this.enrollmentToken) return void send(401, { statusCode: 401, code: 'UNAUTHORIZED' });
      const key = (body as { publicKey: string }).publicKey;
      const again = this.registeredKey === key;
      this.registeredKey = key;
      const nodeToken = randomBytes(24).toString('base64url');
      this.tokens.add(nodeToken);
      return void send(again ? 200 : 201, { id: this.nodeId, nodeToken, pulseIntervalSec: 1 });
    }
    const match = /^\/nodes\/([^/]+)\/(pulse|peers)$/.exec(path);
    if (!match) return void send(404, { statusCode: 404, code: 'NOT_FOUND' });
    if (match[1] !== this.nodeId) return void send(404, { statusCode: 404, code: 'UNKNOWN_NODE' });
    if (!this.tokens.has(bearer)) return void send(401, { statusCode: 401, code: 'UNAUTHORIZED' });
    if (this.mode === 'decommissioned') return void send(410, { statusCode: 410, code: 'DECOMMISSIONED' });
    if (match[2] === 'pulse') return void send(200, { generation: this.generation });
    const etag = `"${this.generation}"`;
    if (req.headers['if-none-match'] === etag) return void send(304, null, { etag });
    return void send(200, { generation: this.generation, peers: this.peers }, { etag });
  }
}
