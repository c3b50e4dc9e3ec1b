import { ArgumentsHost, Catch, ExceptionFilter, Logger, Optional } from '@nestjs/common';
import { BaseRpcExceptionFilter } from '@nestjs/microservices';
import type { FastifyReply } from 'fastify';
import { type Observable, throwError } from 'rxjs';
import { AppError } from './app-error';
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

  private readonly rpc = new BaseRpcExceptionFilter();

  catch(exception: unknown, host: ArgumentsHost): void | Observable<unknown> {
    // A message handler of the Redis transport (this filter is global, so it sees those too): its
    // error goes back to the sender as the error reply — an AppError as `{status, code, message}`,
    // an RpcException as itself, anything else as Nest's `Internal server error`. Rethrowing here
    // would leave the sender without any reply (Nest's server does not catch a filter's throw).
    if (host.getType() === 'rpc') {
      if (exception instanceof AppError) return throwError(() => ({ status: 'error', code: exception.code, message: exception.message }));
      return this.rpc.catch(exception, host);
    }
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
