import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, bearerToken, ErrorCode, InjectConfig, secretEquals, sha256 } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import type { NetworkConfig } from '../config';
import { NodesRepository } from './nodes.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function unauthenticated(): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, 'enrollment token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
}

/**
 * `POST /nodes/register`: `Authorization: Bearer <NODE_ENROLLMENT_TOKEN>` for a shared node; for a
 * node dedicated to a tenant (`"tenantId"` in the body), that tenant's enrollment token instead
 * (and only it: the fleet's token cannot enroll a dedicated node, nor a tenant's a shared one).
 * Constant-time compares; a tenant with no token yet answers like a wrong token.
 */
@Injectable()
export class EnrollmentGuard implements CanActivate {
  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly nodes: NodesRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const token = bearerToken(req.headers.authorization);
    const body = req.body as { tenantId?: unknown } | null | undefined;
    const tenantId = typeof body === 'object' && body !== null && !Array.isArray(body) ? body.tenantId : undefined;
    if (tenantId === undefined) {
      if (token === null || !secretEquals(token, this.config.NODE_ENROLLMENT_TOKEN)) throw unauthenticated();
      return true;
    }
    if (typeof tenantId !== 'string' || !UUID.test(tenantId)) throw new AppError(ErrorCode.VALIDATION_FAILED, 'tenantId must be a UUID');
    if (token === null) throw unauthenticated();
    const stored = await this.nodes.tenantEnrollment(tenantId.toLowerCase());
    const given = sha256(token);
    if (!stored || stored.length !== given.length || !timingSafeEqual(stored, given)) throw unauthenticated();
    return true;
  }
}
