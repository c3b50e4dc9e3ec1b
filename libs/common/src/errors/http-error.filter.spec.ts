import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { RpcException } from '@nestjs/microservices';
import { type Observable, firstValueFrom } from 'rxjs';
import { AppError } from './app-error';
import { ErrorCode } from './error-codes';
import { HttpErrorFilter } from './http-error.filter';

function rpcHost(): ExecutionContextHost {
  const host = new ExecutionContextHost([{ any: 'payload' }, {}]);
  host.setType('rpc');
  return host;
}

/** What the sender of a Redis transport message receives as the error reply. */
async function errorReply(exception: unknown): Promise<unknown> {
  const out = new HttpErrorFilter().catch(exception, rpcHost()) as Observable<unknown>;
  return firstValueFrom(out).then(
    () => 'no error',
    (e: unknown) => e,
  );
}

describe('HttpErrorFilter on a message handler of the Redis transport', () => {
  it('answers an AppError with its code and message', async () => {
    expect(await errorReply(new AppError(ErrorCode.UNAVAILABLE, 'ClickHouse is unavailable'))).toEqual({ status: 'error', code: 'UNAVAILABLE', message: 'ClickHouse is unavailable' });
  });

  it('answers an RpcException with its error, anything else with Nest’s generic one (no internals)', async () => {
    expect(await errorReply(new RpcException({ code: 'VALIDATION_FAILED', message: 'from must not be after to' }))).toEqual({ code: 'VALIDATION_FAILED', message: 'from must not be after to' });
    expect(await errorReply(new Error('password authentication failed for user "phoenix_identity"'))).toEqual({ status: 'error', message: 'Internal server error' });
  });

  it('still rethrows in a context it does not know', () => {
    const host = new ExecutionContextHost([]);
    host.setType('ws');
    const e = new Error('x');
    expect(() => new HttpErrorFilter().catch(e, host)).toThrow(e);
  });
});
