import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError, ErrorCode } from '@phoenix/common';
import { TOKEN_REQUEST_LENGTH } from '@phoenix/crypto';

export const TOKEN_REQUEST_MEDIA_TYPE = 'application/private-token-request';
export const TOKEN_RESPONSE_MEDIA_TYPE = 'application/private-token-response';

/**
 * Fastify parser for `application/private-token-request`: the raw bytes as a Buffer, exactly
 * {@link TOKEN_REQUEST_LENGTH} (259) of them; anything else is `400 MALFORMED_BODY` and a body
 * beyond a few KiB is `413`, both before any handler runs.
 */
export function registerTokenRequestParser(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addContentTypeParser(TOKEN_REQUEST_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: 4096 }, (_req, body, done) => {
    const buf = body as Buffer;
    if (buf.length !== TOKEN_REQUEST_LENGTH) done(new AppError(ErrorCode.MALFORMED_BODY, `a token request is exactly ${TOKEN_REQUEST_LENGTH} bytes`), undefined);
    else done(null, buf);
  });
}
