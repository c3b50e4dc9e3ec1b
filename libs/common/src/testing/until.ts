/**
 * Polls `probe` (every `everyMs`) until it gives something other than `undefined`, and returns
 * that; after `timeoutMs` it throws, naming `what` it waited for. Bounded: for specs waiting on
 * something another process or a background loop does.
 */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
