import { DynamicModule, Module, ModuleMetadata, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DependencyFailures } from '../errors/dependency-failure';
import { HttpErrorFilter } from '../errors/http-error.filter';
import { HealthController } from '../health/health.controller';
import { READINESS_CHECKS, ReadinessCheck } from '../health/readiness';
import { ServiceLogger } from '../logging/logger';
import { METRICS_REGISTRY, MetricsController, ServiceMetrics } from '../metrics/metrics';
import { PingController, SERVICE_NAME } from '../transport/ping.controller';
import { ShutdownLog } from './shutdown-log';

export interface PlatformModuleOptions {
  service: string;
  logLevel: string;
  /** How to build the readiness checks from the app's own providers (database, Redis, …). */
  readiness: {
    imports?: ModuleMetadata['imports'];
    inject?: Array<string | symbol | Type<unknown>>;
    useFactory: (...deps: never[]) => ReadinessCheck[];
  };
}

/**
 * The plumbing every service shares, wired once: JSON logging with redaction, `/health/*`,
 * `/metrics`, and the global error filter with the registry of dependency failures it maps to
 * `503` (the data-access modules register their drivers' failures in it).
 */
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformModuleOptions): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      imports: options.readiness.imports ?? [],
      controllers: [HealthController, MetricsController, PingController],
      providers: [
        { provide: SERVICE_NAME, useValue: options.service },
        { provide: ServiceLogger, useValue: new ServiceLogger(options.service, options.logLevel) },
        { provide: METRICS_REGISTRY, useValue: new ServiceMetrics(options.service) },
        { provide: READINESS_CHECKS, inject: options.readiness.inject ?? [], useFactory: options.readiness.useFactory as (...a: unknown[]) => ReadinessCheck[] },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        DependencyFailures,
        ShutdownLog,
      ],
      exports: [METRICS_REGISTRY, SERVICE_NAME, ServiceLogger, DependencyFailures],
    };
  }
}
