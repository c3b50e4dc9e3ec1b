import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, bearerToken, ErrorCode, sha256 } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { NodesRepository } from './nodes.repository';

/**
 * Node endpoints (`/nodes/:id/…`): `Authorization: Bearer <nodeToken>` of that node. Only the
 * token's SHA-256 is stored; it is compared in constant time. A decommissioned node still
 * authenticates, so that it learns `410` and shuts its interface.
 */
@Injectable()
export class NodeAuthGuard implements CanActivate {
  constructor(private readonly nodes: NodesRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest<{ Params: { id?: string } }>>();
    const token = bearerToken(req.headers.authorization);
    const id = req.params.id ?? '';
    const unauthenticated = () => new AppError(ErrorCode.UNAUTHENTICATED, 'node token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    if (token === null) throw unauthenticated();
    const creds = await this.nodes.credentials(id);
    if (!creds || !timingSafeEqual(sha256(token), creds.tokenHash)) throw unauthenticated();
    if (creds.status === 'decommissioned') throw new AppError(ErrorCode.NODE_DECOMMISSIONED, 'this node is decommissioned: shut the interface');
    return true;
  }
}
