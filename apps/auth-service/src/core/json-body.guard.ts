import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { AppError, ErrorCode, mediaType } from '@phoenix/common';
import type { FastifyRequest } from 'fastify';

/**
 * JSON endpoints accept only JSON: a body of another media type (e.g. a binary token request
 * sent to the JSON endpoint) is `415`, before any validation runs.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const type = req.headers['content-type'];
    if (type === undefined) return true;
    if (mediaType(type) !== 'application/json') throw new AppError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, 'Content-Type must be application/json');
    return true;
  }
}
