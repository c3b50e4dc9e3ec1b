import { isUtf8 } from 'node:buffer';
import secureJson from 'secure-json-parse';
import { AppError } from '../errors/app-error';
import { ErrorCode } from '../errors/error-codes';
import { JsonLimits, jsonLimitExceeded } from './json-limits';

/**
 * A JSON request body, as every route of the platform reads one (Fastify's parser and the raw
 * routes alike): the bytes must be UTF-8 (RFC 8259 §8.1) and within `limits` (`400
 * BODY_TOO_COMPLEX`, checked on the bytes before anything parses them), then they are parsed
 * refusing `__proto__` and `constructor.prototype` keys (prototype poisoning; the parser Fastify
 * itself uses); an empty or unparsable body is `400 MALFORMED_BODY`.
 */
export function parseJsonBody(bytes: Buffer, limits: Readonly<JsonLimits>): unknown {
  if (!isUtf8(bytes)) throw new AppError(ErrorCode.MALFORMED_BODY, 'Request body is not valid UTF-8');
  const tooComplex = jsonLimitExceeded(bytes, limits);
  if (tooComplex) throw new AppError(ErrorCode.BODY_TOO_COMPLEX, `Request body is too complex: ${tooComplex}`);
  try {
    return secureJson.parse(bytes.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch {
    throw new AppError(ErrorCode.MALFORMED_BODY, 'Request body is not valid JSON');
  }
}
