import { CanActivate, ExecutionContext, Injectable, createParamDecorator } from '@nestjs/common';
import { AppError, ErrorCode } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import type { FirebaseIdentity } from './firebase.adapter';
import { IdTokenVerifier } from './id-token.verifier';

type AuthedRequest = FastifyRequest & { identity?: FirebaseIdentity };

/** Nest guard: authenticates the request with {@link IdTokenVerifier} and sets `request.identity`. */
@Injectable()
export class FirebaseAuthGuard implements CanActivate {
  constructor(private readonly idTokens: IdTokenVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthedRequest>();
    req.identity = await this.idTokens.authenticate(req.headers.authorization);
    return true;
  }
}

/** The verified identity of the caller (set by {@link FirebaseAuthGuard}). */
export const CurrentIdentity = createParamDecorator((_data: unknown, ctx: ExecutionContext): FirebaseIdentity => {
  const identity = ctx.switchToHttp().getRequest<AuthedRequest>().identity;
  if (!identity) throw new AppError(ErrorCode.UNAUTHENTICATED, 'not authenticated');
  return identity;
});
