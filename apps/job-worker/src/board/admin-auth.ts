import { AppError, ErrorCode, bearerToken, secretEquals, toErrorResponse } from '@phoenix/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The secret an `Authorization` header presents: `Bearer <token>`, or `Basic` with any user name
 * and the token as password (so that a browser can open Bull Board: it asks for credentials on
 * the `Basic` challenge and sends them with every page, script and API call that follows).
 */
export function presentedSecret(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const bearer = bearerToken(header);
  if (bearer !== null) return bearer;
  const basic = /^Basic[ \t]+([A-Za-z0-9+/]+=*)[ \t]*$/i.exec(header);
  if (!basic) return null;
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : null;
}

const CHALLENGES = ['Basic realm="job-worker admin", charset="UTF-8"', 'Bearer'];

/**
 * A Fastify `onRequest` hook admitting only requests that present `token`: anything else is
 * `401 UNAUTHENTICATED` with the contract's error body, before the body is read or a route runs.
 */
export function adminOnly(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const given = presentedSecret(req.headers.authorization);
    if (given !== null && secretEquals(given, token)) return;
    const { status, body } = toErrorResponse(new AppError(ErrorCode.UNAUTHENTICATED, 'admin token required'));
    await reply.code(status).header('www-authenticate', CHALLENGES).header('cache-control', 'no-store').send(body);
  };
}
