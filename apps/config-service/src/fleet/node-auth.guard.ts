import { timingSafeEqual } from 'node:crypto';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, bearerToken, ErrorCode, sha256 } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';
import { NodeCredentials, NodesRepository } from './nodes.repository';

/** A request the guard let through, with what it read of the node (its status and generation at that moment). */
export type AuthenticatedNodeRequest = FastifyRequest<{ Params: { id?: string } }> & { node?: Pick<NodeCredentials, 'status' | 'generation'> };

/**
 * Node endpoints (`/nodes/:id/…`): `Authorization: Bearer <nodeToken>` of that node. Only the
 * token's SHA-256 is stored; it is compared in constant time. A decommissioned node still
 * authenticates, so that it learns `410` and shuts its interface. What it read of the node (status
 * and generation) stays on the request: a conditional peer-set pull answers `304` from it.
 */
@Injectable()
export class NodeAuthGuard implements CanActivate {
  constructor(private readonly nodes: NodesRepository) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedNodeRequest>();
    const token = bearerToken(req.headers.authorization);
    const id = req.params.id ?? '';
    const unauthenticated = () => new AppError(ErrorCode.UNAUTHENTICATED, 'node token required', { headers: { 'WWW-Authenticate': 'Bearer' } });
    if (token === null) throw unauthenticated();
    const creds = await this.nodes.credentials(id);
    if (!creds || !timingSafeEqual(sha256(token), creds.tokenHash)) throw unauthenticated();
    if (creds.status === 'decommissioned') throw new AppError(ErrorCode.NODE_DECOMMISSIONED, 'this node is decommissioned: shut the interface');
    req.node = { status: creds.status, generation: creds.generation };
    return true;
  }
}
