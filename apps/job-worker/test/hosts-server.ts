// A hosts list's upstream for the blocklist specs: a real HTTP server on loopback that serves one
// body at a time with a strong ETag (its sha256) and a Last-Modified, and answers `304` to a
// matching If-None-Match, as a CDN or GitHub's raw server does. It records every request.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WORKSPACE_ROOT } from '@phoenix/common/testing';

/** The StevenBlack unified hosts list of the shared test data (about 88,763 domains). */
export const STEVENBLACK_HOSTS = join(WORKSPACE_ROOT, '../shared/data/stevenblack-hosts');

export function readStevenBlack(): Buffer {
  return readFileSync(STEVENBLACK_HOSTS);
}

export interface SeenRequest {
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  status: number;
}

export class HostsServer {
  readonly requests: SeenRequest[] = [];
  private body: Buffer = Buffer.alloc(0);
  private etag = '';
  private lastModified = '';
  /** When false, the server ignores conditional headers (always 200). */
  honourConditional = true;
  /** When set, every request gets this status and no body. */
  failWith: number | null = null;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<HostsServer> {
    const server = createServer();
    const self = new HostsServer(server);
    server.on('request', (req, res) => self.handle(req.headers['if-none-match'], req.headers['if-modified-since'], res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hosts`;
  }

  /** Serves `body` from now on, with a new ETag and Last-Modified if it differs. */
  serve(body: Buffer, modifiedAt = new Date()): void {
    if (body.equals(this.body)) return;
    this.body = body;
    this.etag = `"${createHash('sha256').update(body).digest('hex')}"`;
    this.lastModified = modifiedAt.toUTCString();
  }

  private handle(ifNoneMatch: string | undefined, ifModifiedSince: string | undefined, res: ServerResponse): void {
    const seen: SeenRequest = { ...(ifNoneMatch ? { ifNoneMatch } : {}), ...(ifModifiedSince ? { ifModifiedSince } : {}), status: 200 };
    this.requests.push(seen);
    if (this.failWith !== null) {
      seen.status = this.failWith;
      res.writeHead(this.failWith).end();
      return;
    }
    if (this.honourConditional && ifNoneMatch === this.etag) {
      seen.status = 304;
      res.writeHead(304, { etag: this.etag, 'last-modified': this.lastModified }).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': this.body.length, etag: this.etag, 'last-modified': this.lastModified });
    res.end(this.body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
