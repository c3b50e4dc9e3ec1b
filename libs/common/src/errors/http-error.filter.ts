import { ArgumentsHost, Catch, ExceptionFilter, Logger, Optional } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DependencyFailures } from './dependency-failure';
import { toErrorResponse } from './error-body';

/**
 * The one global HTTP filter of every app: every error leaves in the contract's shape, a
 * dependency's failure as `503 UNAVAILABLE` (see {@link DependencyFailures}).
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpErrorFilter');

  constructor(@Optional() private readonly failures?: DependencyFailures) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const res = toErrorResponse(exception, this.failures?.of);
    if (res.unexpected) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    } else if (res.logReason) {
      this.logger.warn(res.logReason);
    }
    if (reply.sent) return;
    void reply.status(res.status).headers(res.headers).type('application/json').send(res.body);
  }
}
