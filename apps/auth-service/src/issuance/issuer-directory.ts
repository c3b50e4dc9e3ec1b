import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type IssuerDirectoryJson, TOKEN_TYPE_BLIND_RSA, base64urlEncode, renderIssuerDirectory } from '@phoenix/crypto';
import { InjectConfig } from '@phoenix/common';
import type { AuthConfig } from '../config';
import type { IssuerKey } from '../database/entities';
import { IssuerKeyStore } from './issuer-keys.store';
import { DIRECTORY_MAX_AGE_SEC } from './key-schedule';

export const DIRECTORY_MEDIA_TYPE = 'application/private-token-issuer-directory';
export const DIRECTORY_CACHE_CONTROL = `public, max-age=${DIRECTORY_MAX_AGE_SEC}`;

export interface RenderedDirectory {
  body: string;
  etag: string;
}

/** Whether `If-None-Match` matches `etag` (RFC 9110 §13.1.2: the weak comparison). */
export function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** The public half of a listed key: what a directory or `/token-issuers` shows of it. */
export type ListedKey = Pick<IssuerKey, 'keyId' | 'tokenKey' | 'notBefore'>;

function directoryJson(listed: readonly ListedKey[], issuerRequestUri: string): IssuerDirectoryJson {
  return renderIssuerDirectory({
    issuerRequestUri,
    tokenKeys: listed.map((k) => ({ tokenType: TOKEN_TYPE_BLIND_RSA, tokenKey: new Uint8Array(k.tokenKey), notBefore: Math.floor(k.notBefore.getTime() / 1000) })),
  });
}

/** The `token-keys` entries of listed keys (RFC 9578 §4), in the order given (newest first). */
export function tokenKeysJson(listed: readonly ListedKey[]): IssuerDirectoryJson['token-keys'] {
  return directoryJson(listed, '-')['token-keys'];
}

/** A body and its strong ETag (SHA-256 of the exact bytes, base64url, 32 characters). */
export function withEtag(body: string): RenderedDirectory {
  return { body, etag: `"${base64urlEncode(createHash('sha256').update(body).digest()).slice(0, 32)}"` };
}

/** The directory JSON of `listed` keys with this `issuer-request-uri`, and its ETag. */
export function renderDirectory(listed: readonly ListedKey[], issuerRequestUri: string): RenderedDirectory {
  return withEtag(JSON.stringify(directoryJson(listed, issuerRequestUri)));
}

/**
 * The issuer directory (RFC 9578 §4) of the keys the store lists now: its JSON, a strong ETag
 * over the exact bytes, and the `Cache-Control` it is served with. The rendering is remembered
 * while the listed keys stay the same.
 */
@Injectable()
export class IssuerDirectory {
  private readonly issuerRequestUri: string;
  private memo: { key: string; value: RenderedDirectory } | null = null;

  constructor(
    private readonly keys: IssuerKeyStore,
    @InjectConfig() config: AuthConfig,
  ) {
    this.issuerRequestUri = config.ISSUER_REQUEST_URI;
  }

  async render(): Promise<RenderedDirectory> {
    const listed = await this.keys.listedKeys();
    const memoKey = listed.map((k) => `${k.keyId}@${k.notBefore.getTime()}`).join(',');
    if (this.memo?.key === memoKey) return this.memo.value;
    const value = renderDirectory(listed, this.issuerRequestUri);
    this.memo = { key: memoKey, value };
    return value;
  }
}
