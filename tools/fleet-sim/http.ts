import { Agent, ClientRequest, request } from 'node:http';

export interface JsonReply {
  /** HTTP status; 0 when no answer came (network failure or timeout, see `error`). */
  status: number;
  body: unknown;
  /** Round trip from the call, including {@link queuedMs}. */
  ms: number;
  /** Time spent waiting for a pooled connection (the simulator's own queue, not the server's). */
  queuedMs: number;
  error?: 'timeout' | 'network';
}

/**
 * A small JSON client over `node:http` with keep-alive sockets: thousands of simulated agents
 * share a bounded pool of connections per replica instead of one connection each (what a node
 * fleet behind a load balancer looks like to a replica, minus the TLS). No retries: the caller
 * decides, as node-daemon's control loop does.
 */
export class JsonHttp {
  private readonly agent: Agent;
  private readonly live = new Set<ClientRequest>();

  constructor(
    maxSockets: number,
    private readonly timeoutMs = 5000,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });
  }

  call(method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: unknown): Promise<JsonReply> {
    const started = performance.now();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      let settled = false;
      let queuedMs = Number.NaN;
      const done = (r: Omit<JsonReply, 'ms' | 'queuedMs'>) => {
        if (settled) return;
        settled = true;
        this.live.delete(req);
        const ms = performance.now() - started;
        resolve({ ...r, ms, queuedMs: Number.isNaN(queuedMs) ? ms : queuedMs });
      };
      const req = request(
        url,
        {
          method,
          agent: this.agent,
          headers: payload === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => done({ status: 0, body: null, error: 'network' }));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            done({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      this.live.add(req);
      req.once('socket', () => {
        queuedMs = performance.now() - started;
      });
      req.setTimeout(this.timeoutMs, () => {
        done({ status: 0, body: null, error: 'timeout' });
        req.destroy();
      });
      req.on('error', () => done({ status: 0, body: null, error: 'network' }));
      req.end(payload);
    });
  }

  /** Requests sent or waiting for a connection. */
  get inFlight(): number {
    return this.live.size;
  }

  /** Ends every request under way or queued here (each resolves as a `network` failure). */
  abortAll(): number {
    const n = this.live.size;
    for (const req of [...this.live]) req.destroy();
    return n;
  }

  close(): void {
    this.abortAll();
    this.agent.destroy();
  }
}

/** How a reply is counted: `2xx`-class success, else its status or the kind of non-answer. */
export function failureOf(reply: JsonReply): string {
  return reply.status === 0 ? (reply.error ?? 'network') : String(reply.status);
}
