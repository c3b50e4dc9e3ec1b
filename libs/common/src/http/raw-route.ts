import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Type } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppError } from '../errors/app-error';
import type { DependencyFailureTest } from '../errors/dependency-failure';
import { toErrorResponse } from '../errors/error-body';
import { ErrorCode } from '../errors/error-codes';
import { CorsPolicy, corsAnswer } from './cors';
import { pathOnly, type ServiceLogger } from '../logging/logger';
import type { ServiceMetrics } from '../metrics/metrics';

type OperationObject = NonNullable<OpenAPIObject['paths'][string]['post']>;

/** What a raw route's handler sees: the request id, the headers and the whole body. */
export interface RawRequest {
  readonly id: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** What a raw route's handler answers on success (errors are thrown, as `AppError`s). */
export interface RawReply {
  status: number;
  contentType: string;
  body: Buffer;
  headers?: Record<string, string>;
}

/**
 * A route served straight from Node's HTTP server, ahead of Fastify and Nest — for the one hot
 * path whose per-request cost is the product's capacity (token issuance). It keeps the platform's
 * behaviour: the error body of the contract, `415` for another media type, `413` beyond its body
 * limit, `503` while shutting down, the request log line and the route-template histogram, and
 * its operation in the service's OpenAPI document, and the service's CORS policy on every answer.
 * Everything else belongs in Nest.
 */
export interface RawRoute {
  method: 'POST' | 'PUT';
  /** The exact path (the query string is ignored). */
  path: string;
  /** The one accepted media type (parameters ignored); any other is `415 UNSUPPORTED_MEDIA_TYPE`. */
  consumes: string;
  /** Largest body in bytes; beyond it `413 PAYLOAD_TOO_LARGE`. */
  bodyLimit: number;
  /**
   * A request with neither a body nor a `Content-Type` reaches the handler (with an empty body)
   * instead of being `415` — for a route whose credentials travel in a header and that answers a
   * bare request with its challenge (`POST /vpn/config`).
   */
  allowEmptyBody?: boolean;
  /** Throws `AppError` (or anything: a dependency's failure is `503`, any other error a logged bare `500`). */
  handle(req: RawRequest): Promise<RawReply>;
  /** The route's OpenAPI operation, added to the service's document. */
  openapi: OperationObject;
  /** DTO classes (`@nestjs/swagger` decorated) the operation references with `getSchemaPath`: added to the document's schemas. */
  models?: Array<Type<unknown>>;
}

/** The media type of a `Content-Type` header, lower-cased, without parameters ('' when absent). */
export function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * Dispatches the raw routes and hands every other request to Fastify. Built before the Nest app
 * (the HTTP server is created with the Fastify adapter), given its routes, logger and metrics
 * once the app exists.
 */
export class RawRouter {
  private readonly routes = new Map<string, RawRoute>();
  private logger?: ServiceLogger;
  private metrics?: ServiceMetrics;
  private dependencyFailure?: DependencyFailureTest;
  private cors?: CorsPolicy;
  private closing = false;

  /** A Fastify `serverFactory`: raw routes first, then Fastify's own handler. */
  serverFactory(): (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server {
    return (handler) =>
      createServer((req, res) => {
        if (this.routes.size === 0 || !this.dispatch(req, res)) handler(req, res);
      });
  }

  install(routes: RawRoute[], logger: ServiceLogger, metrics: ServiceMetrics, dependencyFailure?: DependencyFailureTest, cors?: CorsPolicy): void {
    this.logger = logger;
    this.metrics = metrics;
    this.dependencyFailure = dependencyFailure;
    this.cors = cors;
    for (const r of routes) this.routes.set(`${r.method} ${r.path}`, r);
  }

  /** New requests are refused with `503` from now on; those in flight finish. */
  close(): void {
    this.closing = true;
  }

  /** The DTO classes the routes' operations reference. */
  models(): Array<Type<unknown>> {
    return [...this.routes.values()].flatMap((r) => r.models ?? []);
  }

  /** Adds each route's operation to an OpenAPI document. */
  document(doc: OpenAPIObject): void {
    for (const r of this.routes.values()) {
      doc.paths[r.path] = { ...doc.paths[r.path], [r.method.toLowerCase()]: r.openapi };
    }
  }

  private dispatch(req: IncomingMessage, res: ServerResponse): boolean {
    const route = this.routes.get(`${req.method} ${pathOnly(req.url ?? '')}`);
    if (!route) return false;
    const id = randomUUID();
    const started = performance.now();
    res.once('finish', () => this.finished(route, id, req, res.statusCode, performance.now() - started));
    if (this.cors) {
      const origin = req.headers.origin;
      const { headers } = corsAnswer(this.cors, { method: req.method ?? route.method, origin, requestMethod: undefined, requestHeaders: undefined });
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    }

    if (this.closing) {
      this.fail(res, new AppError(ErrorCode.UNAVAILABLE, 'the service is shutting down; try again'), true);
      req.resume();
      return true;
    }
    const bare = route.allowEmptyBody && req.headers['content-type'] === undefined && !Number(req.headers['content-length']) && req.headers['transfer-encoding'] === undefined;
    if (!bare && mediaType(req.headers['content-type']) !== route.consumes) {
      this.fail(res, new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, `Content-Type must be ${route.consumes}`));
      req.resume();
      return true;
    }
    const declared = Number(req.headers['content-length']);
    if (declared > route.bodyLimit) {
      // Do not read what the client still sends: answer, then close the connection.
      this.tooLarge(res, route);
      return true;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > route.bodyLimit) {
        req.off('data', onData);
        req.off('end', onEnd);
        req.resume(); // discard the rest
        this.tooLarge(res, route);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      let pending: Promise<RawReply>;
      try {
        pending = route.handle({ id, headers: req.headers, body });
      } catch (e) {
        this.fail(res, e);
        return;
      }
      pending.then(
        (reply) => {
          if (res.destroyed) return; // the client went away while we worked
          res.writeHead(reply.status, { ...reply.headers, 'content-type': reply.contentType, 'content-length': reply.body.length });
          res.end(reply.body);
        },
        (e: unknown) => this.fail(res, e),
      );
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', () => res.destroy());
    return true;
  }

  private tooLarge(res: ServerResponse, route: RawRoute): void {
    this.fail(res, new AppError(ErrorCode.PAYLOAD_TOO_LARGE, `the body may hold at most ${route.bodyLimit} bytes`), true);
  }

  private fail(res: ServerResponse, e: unknown, close = false): void {
    if (res.headersSent || res.destroyed) return;
    const out = toErrorResponse(e, this.dependencyFailure);
    if (out.unexpected) this.logger?.error(e instanceof Error ? (e.stack ?? e.message) : String(e), 'RawRouter');
    else if (out.logReason) this.logger?.warn(out.logReason, 'RawRouter');
    const body = JSON.stringify(out.body);
    res.writeHead(out.status, {
      ...out.headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      ...(close ? { connection: 'close' } : {}),
    });
    res.end(body);
  }

  private finished(route: RawRoute, id: string, req: IncomingMessage, status: number, ms: number): void {
    this.metrics?.httpDuration.observe({ method: route.method, route: route.path, status_code: String(status) }, ms / 1000);
    this.logger?.request(id, route.method, req.url ?? route.path, status, ms);
  }
}
