import { z } from 'zod';
import { ControlPlane, ControlPlaneError, DesiredState, NotModified, PulseRequest, RegisterRequest, Registration } from './control-plane';

const registrationSchema = z.object({
  id: z.string().min(1).max(128),
  nodeToken: z.string().min(16).max(512),
  pulseIntervalSec: z.number().int().min(1).max(3600),
});

const pulseSchema = z.object({ generation: z.number().int().min(0) });

const desiredSchema = z.object({
  generation: z.number().int().min(0),
  peers: z.array(z.object({ publicKey: z.string(), allowedIps: z.array(z.string()), expiresAt: z.string(), tenantId: z.string().nullish() })),
});

const NOT_MODIFIED = Symbol('304 Not Modified');

/** The node's HTTP view of config-service (API.md "Nodes"). Secrets travel only in headers. */
export class ConfigServiceClient implements ControlPlane {
  constructor(
    private readonly baseUrl: string,
    private readonly enrollmentToken = '',
    private readonly timeoutMs = 5000,
  ) {}

  /** Resolves when config-service answers `/health/live`. */
  async live(): Promise<void> {
    const res = await fetch(new URL('/health/live', this.baseUrl), { signal: AbortSignal.timeout(this.timeoutMs) });
    if (!res.ok) throw new Error(`config-service answered ${res.status}`);
  }

  register(body: RegisterRequest): Promise<Registration> {
    return this.call('POST', '/nodes/register', this.enrollmentToken, body, registrationSchema);
  }

  pulse(nodeId: string, nodeToken: string, body: PulseRequest): Promise<{ generation: number }> {
    return this.call('POST', `/nodes/${encodeURIComponent(nodeId)}/pulse`, nodeToken, body, pulseSchema);
  }

  /** With `heldGeneration`: `If-None-Match: "<generation>"`, and a `304` is {@link NotModified}. */
  async desiredPeers(nodeId: string, nodeToken: string, heldGeneration?: number): Promise<DesiredState | NotModified> {
    const path = `/nodes/${encodeURIComponent(nodeId)}/peers`;
    if (heldGeneration === undefined) return this.call('GET', path, nodeToken, undefined, desiredSchema);
    const answer = await this.call('GET', path, nodeToken, undefined, desiredSchema, { 'if-none-match': `"${heldGeneration}"` });
    return answer === NOT_MODIFIED ? { notModified: true, generation: heldGeneration } : answer;
  }

  private async call<T>(method: string, path: string, token: string, body: unknown, schema: z.ZodType<T>): Promise<T>;
  private async call<T>(method: string, path: string, token: string, body: unknown, schema: z.ZodType<T>, conditional: Record<string, string>): Promise<T | typeof NOT_MODIFIED>;
  private async call<T>(method: string, path: string, token: string, body: unknown, schema: z.ZodType<T>, conditional?: Record<string, string>): Promise<T | typeof NOT_MODIFIED> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: { authorization: `Bearer ${token}`, ...conditional, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new ControlPlaneError('unavailable', `${method} ${routeOf(path)}: config-service unreachable`, undefined, { cause: error });
    }
    if (res.status === 304 && conditional !== undefined) {
      await res.body?.cancel();
      return NOT_MODIFIED;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new ControlPlaneError(failureOf(res.status), `${method} ${routeOf(path)} answered ${res.status}`, res.status);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch (error) {
      throw new ControlPlaneError('unavailable', `${method} ${routeOf(path)}: body is not JSON`, res.status, { cause: error });
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new ControlPlaneError('rejected', `${method} ${routeOf(path)}: unexpected response shape`, res.status);
    return parsed.data;
  }
}

function failureOf(status: number): ControlPlaneError['failure'] {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'unknown-node';
  if (status === 410) return 'gone';
  if (status === 408 || status === 429 || status >= 500) return 'unavailable';
  return 'rejected';
}

/** The route template, so a log line never carries an id. */
function routeOf(path: string): string {
  return path.replace(/^\/nodes\/[^/]+\//, '/nodes/:id/');
}
