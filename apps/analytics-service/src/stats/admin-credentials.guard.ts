import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AppError, ErrorCode, InjectConfig, bearerToken, secretEquals } from '@phoenix/common';

/**
 * The admin token a request presents: `Authorization: Bearer <token>` (API.md's admin scheme), or
 * HTTP Basic with the token as the password (any user name) — the one scheme a browser asks for
 * itself and then sends again with every same-origin request, so the dashboard's page gets the
 * token once from the operator and never carries it in a URL or in script.
 */
function presentedAdminToken(header: string | string[] | undefined): string | null {
  const bearer = bearerToken(header);
  if (bearer !== null) return bearer;
  if (typeof header !== 'string') return null;
  const m = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : decoded.slice(colon + 1);
}

/** Realm of the browser's credentials prompt (RFC 7617). */
const BASIC_CHALLENGE = 'Basic realm="Phoenix analytics", charset="UTF-8"';

function admit(context: ExecutionContext, token: string | undefined, challenge: string): true {
  const given = presentedAdminToken(context.switchToHttp().getRequest<FastifyRequest>().headers.authorization);
  // Constant time over digests (secretEquals); no ADMIN_TOKEN configured refuses everyone.
  if (token === undefined || given === null || !secretEquals(given, token)) {
    throw new AppError(ErrorCode.UNAUTHENTICATED, 'admin token required', { headers: { 'WWW-Authenticate': challenge } });
  }
  return true;
}

/**
 * `GET /v1/stats/:panel`: the admin token as Bearer (API.md) or Basic (the dashboard page's
 * same-origin fetches); a refusal challenges for Bearer, as every admin API of Phoenix does.
 */
@Injectable()
export class StatsAdminGuard implements CanActivate {
  private readonly token: string | undefined;
  constructor(@InjectConfig() config: { ADMIN_TOKEN?: string }) {
    this.token = config.ADMIN_TOKEN || undefined;
  }
  canActivate(context: ExecutionContext): boolean {
    return admit(context, this.token, 'Bearer');
  }
}

/**
 * `/dashboard` and its assets: the same credentials, but a refusal challenges for Basic so the
 * browser asks the operator for the token (the password) once and keeps it for the origin.
 */
@Injectable()
export class DashboardAdminGuard implements CanActivate {
  private readonly token: string | undefined;
  constructor(@InjectConfig() config: { ADMIN_TOKEN?: string }) {
    this.token = config.ADMIN_TOKEN || undefined;
  }
  canActivate(context: ExecutionContext): boolean {
    return admit(context, this.token, BASIC_CHALLENGE);
  }
}
