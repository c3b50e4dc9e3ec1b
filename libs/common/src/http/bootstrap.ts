import { randomUUID } from 'node:crypto';
import { DynamicModule, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MicroserviceOptions } from '@nestjs/microservices';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { AppError } from '../errors/app-error';
import { DependencyFailures } from '../errors/dependency-failure';
import { ErrorCode } from '../errors/error-codes';
import { ServiceLogger } from '../logging/logger';
import { METRICS_REGISTRY, ServiceMetrics } from '../metrics/metrics';
import { redisTransportOptions } from '../transport/redis-transport';
import { CorsPolicy, installCors } from './cors';
import { parseJsonBody } from './json-body';
import { DEFAULT_JSON_LIMITS, JSON_LIMITS_ROUTE_CONFIG, JsonLimits } from './json-limits';
import { RawRoute, RawRouter } from './raw-route';

export interface ServiceOptions {
  service: string;
  module: Type<unknown> | DynamicModule;
  port: number;
  host: string;
  description: string;
  /** Largest request body accepted, in bytes (default 64 KiB); larger is `413`. */
  bodyLimit?: number;
  /** Listen on the Redis transport too (`@nestjs/microservices`). */
  redisTransportUrl?: string;
  /**
   * Hot paths served ahead of Fastify and Nest (see {@link RawRoute}), built from the app's
   * providers. Keep this to the one or two routes whose per-request cost sets the capacity.
   */
  rawRoutes?: (app: NestFastifyApplication) => RawRoute[];
  /** CORS for the web app's origin (`webCorsPolicy(WEB_ORIGIN, …)`); none when unset. */
  cors?: CorsPolicy;
  /** Extra setup before listening (content-type parsers, hooks). */
  configure?: (app: NestFastifyApplication) => void | Promise<void>;
}

function validationMessages(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => {
    const path = prefix ? `${prefix}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => (m.startsWith(e.property) ? `${prefix ? prefix + '.' : ''}${m}` : `${path}: ${m}`));
    return [...own, ...validationMessages(e.children ?? [], path)];
  });
}

function validationFailed(errors: ValidationError[]): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, validationMessages(errors).join('; ') || 'invalid request');
}

/** The global validation pipe: unknown fields and wrong types are `400 VALIDATION_FAILED`. */
export function strictValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: validationFailed,
  });
}

/**
 * {@link strictValidationPipe}'s check of a JSON object, without the pipe and synchronously: the
 * same class-transformer and class-validator calls with the same options, and the same messages.
 * For an object as {@link parseJsonBody} gives it (no prototype keys, binary values or sparse
 * arrays: what the pipe's other steps are about) and a DTO whose rules are all synchronous
 * (`validateSync` skips asynchronous ones). For a raw route's hot path, where the pipe's own steps
 * (copies, promise chains) cost about as much as the check; anything that is not an object goes
 * to the pipe.
 * @returns the DTO instance (unknown fields refused, as with `whitelist` and `forbidNonWhitelisted`)
 * @throws AppError VALIDATION_FAILED
 */
export function validateJsonObject<T extends object>(metatype: Type<T>, value: object): T {
  const entity = plainToInstance(metatype, value);
  const errors = validateSync(entity, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: false, validationError: { target: false } });
  if (errors.length > 0) throw validationFailed(errors);
  return entity;
}

type FastifyInstance = ReturnType<NestFastifyApplication['getHttpAdapter']>['getInstance'] extends () => infer F ? F : never;

/** The JSON limits of a request's route: the platform's, or those its {@link JsonBodyLimits} set. */
function routeJsonLimits(config: unknown): Readonly<JsonLimits> {
  const own = (config as { [JSON_LIMITS_ROUTE_CONFIG]?: Partial<JsonLimits> } | undefined)?.[JSON_LIMITS_ROUTE_CONFIG];
  return own ? { ...DEFAULT_JSON_LIMITS, ...own } : DEFAULT_JSON_LIMITS;
}

/**
 * JSON bodies are read by {@link parseJsonBody} within the route's {@link JsonLimits}; the raw
 * bytes stay on `req.rawBody` for signature checks.
 */
function registerJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    (req as unknown as { rawBody: Buffer }).rawBody = bytes;
    let value: unknown;
    try {
      value = parseJsonBody(bytes, routeJsonLimits(req.routeOptions.config));
    } catch (e) {
      done(e as AppError, undefined);
      return;
    }
    done(null, value);
  });
}

/**
 * Builds a service on Fastify with the shared plumbing, without listening (tests use this with
 * `listen(0)`). Fastify over Express: lower per-request overhead (redemption), strict
 * content-type parsing, and graceful close that lets in-flight requests finish while refusing new
 * ones. `rawRoutes` are served ahead of Fastify and Nest altogether (token issuance).
 */
export async function createServiceApp(opts: ServiceOptions): Promise<NestFastifyApplication> {
  const raw = new RawRouter();
  const adapter = new FastifyAdapter({
    // Never trust X-Forwarded-For: the services must not learn client addresses (invariant 6).
    trustProxy: false,
    bodyLimit: opts.bodyLimit ?? 64 * 1024,
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Request ids are random, never a counter that would order requests across log lines.
    genReqId: () => randomUUID(),
    serverFactory: raw.serverFactory(),
  });
  // Nest's own body parsers are off: `registerJsonParser` below keeps the raw bytes (webhook
  // signatures are over them) and turns bad JSON into `400 MALFORMED_BODY`.
  const app = await NestFactory.create<NestFastifyApplication>(opts.module, adapter, { bufferLogs: true, bodyParser: false });
  const logger = app.get(ServiceLogger);
  app.useLogger(logger);
  app.useGlobalPipes(strictValidationPipe());
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);

  const fastify = app.getHttpAdapter().getInstance();
  registerJsonParser(fastify);
  if (opts.cors) installCors(fastify, opts.cors);
  const metrics = app.get<ServiceMetrics>(METRICS_REGISTRY);
  // One hook per finished request: the route-template histogram and the request log line.
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.httpDuration.observe(
      { method: req.method, route: req.routeOptions?.url ?? 'unmatched', status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    logger.request(req.id, req.method, req.url, reply.statusCode, reply.elapsedTime);
    done();
  });
  raw.install(opts.rawRoutes?.(app) ?? [], logger, metrics, app.get(DependencyFailures).of, opts.cors);
  fastify.addHook('preClose', (done) => {
    raw.close();
    done();
  });

  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(`Phoenix ${opts.service}`).setDescription(opts.description).setVersion('1').addBearerAuth().build(),
    { extraModels: raw.models() },
  );
  raw.document(doc);
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs-json' });

  if (opts.configure) await opts.configure(app);
  if (opts.redisTransportUrl) {
    app.connectMicroservice<MicroserviceOptions>(redisTransportOptions(opts.redisTransportUrl), { inheritAppConfig: true });
  }
  return app;
}

/** Creates the service, starts its transports, listens, and logs where. */
export async function startService(opts: ServiceOptions): Promise<NestFastifyApplication> {
  const app = await createServiceApp(opts);
  if (opts.redisTransportUrl) await app.startAllMicroservices();
  await app.listen(opts.port, opts.host);
  app.get(ServiceLogger).log(`${opts.service} listening on http://${opts.host}:${opts.port} (docs at /docs)`);
  return app;
}
