import { Server, createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import {
  IssuerKeyPair,
  base64urlEncode,
  createTokenRequest,
  encodeToken,
  finalizeToken,
  generateIssuerKeyPair,
  issueTokenResponse,
  renderIssuerDirectory,
} from '@phoenix/crypto';

/**
 * A token issuer of the run's own, as bench/config/redemption.bench.ts has it: an RSA key pair
 * whose issuer directory is served on loopback (the replicas' ISSUER_DIRECTORY_URL), and tokens
 * minted the way the app and auth-service make them together — blind a token request for the
 * replicas' TokenChallenge, sign it with the private key, finalize. No auth-service and no
 * accounts: the tokens are as anonymous to config-service as real ones.
 */
export class LocalIssuer {
  private constructor(
    private readonly key: IssuerKeyPair,
    private readonly server: Server,
    readonly directoryUrl: string,
  ) {}

  static async start(): Promise<LocalIssuer> {
    const key = await generateIssuerKeyPair();
    const directory = JSON.stringify(
      renderIssuerDirectory({ issuerRequestUri: '/token-request', tokenKeys: [{ tokenType: 2, tokenKey: key.tokenKey, notBefore: Math.floor(Date.now() / 1000) - 60 }] }),
    );
    const server = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/private-token-issuer-directory', etag: '"1"', 'cache-control': 'max-age=300' }).end(directory),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return new LocalIssuer(key, server, `http://127.0.0.1:${port}/.well-known/private-token-issuer-directory`);
  }

  /** `count` finished tokens (base64url) for `challenge` (about 1.5 ms of CPU each: one RSA-2048 signature). */
  mint(count: number, challenge: Uint8Array): string[] {
    return Array.from({ length: count }, () => {
      const { request, state } = createTokenRequest(this.key.tokenKey, challenge);
      return base64urlEncode(encodeToken(finalizeToken(state, issueTokenResponse(this.key.privateKey, request))));
    });
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
