// The hosts list's upstream, fetched over HTTP with a conditional GET: `If-None-Match` (the ETag)
// and `If-Modified-Since` (the Last-Modified) of the last source taken, so an unchanged list costs
// a `304` and no body. The body is read whole into memory, bounded in size and time.

/** A source larger than this is refused (StevenBlack's unified list is about 3 MB). */
export const MAX_SOURCE_BYTES = 64 * 1024 * 1024;
/** The whole fetch (headers and body) must finish within this. */
export const FETCH_TIMEOUT_MS = 60_000;

export interface ConditionalHeaders {
  etag?: string;
  lastModified?: string;
}

export type SourceFetch =
  | { readonly notModified: true }
  | { readonly notModified: false; readonly bytes: Uint8Array; readonly etag?: string; readonly lastModified?: string };

/** The source could not be fetched: network, status, size or time. Transient as far as we know (retried). */
export class SourceFetchError extends Error {
  override readonly name = 'SourceFetchError';
}

/**
 * GETs `url`, conditionally when `previous` has an ETag or a Last-Modified.
 *
 * @throws {SourceFetchError} for a network failure, a status other than 200 (or 304 to a
 *   conditional request), a body over `maxBytes`, or a fetch over `timeoutMs`
 */
export async function fetchSource(url: string, previous: ConditionalHeaders | null, maxBytes = MAX_SOURCE_BYTES, timeoutMs = FETCH_TIMEOUT_MS): Promise<SourceFetch> {
  const headers: Record<string, string> = { accept: 'text/plain, */*;q=0.5' };
  if (previous?.etag) headers['if-none-match'] = previous.etag;
  if (previous?.lastModified) headers['if-modified-since'] = previous.lastModified;
  const conditional = 'if-none-match' in headers || 'if-modified-since' in headers;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { headers, signal, redirect: 'follow' });
  } catch (error) {
    const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
    throw new SourceFetchError(`GET ${url} failed: ${cause}`);
  }
  if (res.status === 304 && conditional) {
    await res.body?.cancel();
    return { notModified: true };
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new SourceFetchError(`GET ${url} answered ${res.status}${conditional ? ' to a conditional request' : ''}`);
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel();
    throw new SourceFetchError(`GET ${url}: ${declared} bytes is over the ${maxBytes}-byte limit`);
  }
  const bytes = await readBounded(res, url, maxBytes);
  return { notModified: false, bytes, etag: res.headers.get('etag') ?? undefined, lastModified: res.headers.get('last-modified') ?? undefined };
}

async function readBounded(res: Response, url: string, maxBytes: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    if (!res.body) return new Uint8Array(0);
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      if (total > maxBytes) throw new SourceFetchError(`GET ${url}: the body is over the ${maxBytes}-byte limit`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof SourceFetchError) throw error;
    throw new SourceFetchError(`GET ${url}: reading the body failed: ${(error as Error).message}`);
  }
  return Buffer.concat(chunks, total);
}
