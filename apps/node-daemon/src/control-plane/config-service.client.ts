/** The node's HTTP view of config-service (API.md "Nodes"). */
export class ConfigServiceClient {
  constructor(
    private readonly baseUrl: string,
    private readonly timeoutMs = 3000,
  ) {}

  /** Resolves when config-service answers `/health/live`. */
  async live(): Promise<void> {
    const res = await fetch(new URL('/health/live', this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`config-service answered ${res.status}`);
  }
}
