import type { DesiredPeer, PeersChangedEvent } from '@phoenix/common';

/** `POST /nodes/register` body (API.md "Nodes"). */
export interface RegisterRequest {
  publicKey: string;
  endpoint: { host: string; port: number };
  location: string;
  capacity: number;
  tunnelCidrV4: string;
  tunnelCidrV6?: string;
  ephemeral: boolean;
  version: string;
  /** A node dedicated to this tenant (registered with the tenant's enrollment token). */
  tenantId?: string;
}

export interface Registration {
  id: string;
  nodeToken: string;
  pulseIntervalSec: number;
}

/** `POST /nodes/:id/pulse` body. */
export interface PulseRequest {
  load: number;
  peers: number;
  rxBytes: number;
  txBytes: number;
  cpu: number;
  healthy: boolean;
  /** Per tenant, rx + tx of its peers since the previous pulse (left out when there is none). */
  tenantBytes?: { tenantId: string; bytes: number }[];
}

export interface DesiredState {
  generation: number;
  peers: DesiredPeer[];
}

/** `GET /nodes/:id/peers` answered `304 Not Modified`: `generation`, the one the node holds, is current. */
export interface NotModified {
  notModified: true;
  generation: number;
}

/**
 * How a control-plane call failed, which is what the daemon decides on:
 * `unauthorized`/`unknown-node` → register again; `gone` → decommissioned; `unavailable` →
 * fail static and retry with backoff; `rejected` → a request the server refuses (a bug: logged,
 * retried with backoff).
 */
export type ControlPlaneFailure = 'unauthorized' | 'unknown-node' | 'gone' | 'unavailable' | 'rejected';

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';

  constructor(
    readonly failure: ControlPlaneFailure,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The node's view of config-service. */
export interface ControlPlane {
  register(body: RegisterRequest): Promise<Registration>;
  pulse(nodeId: string, nodeToken: string, body: PulseRequest): Promise<{ generation: number }>;
  /**
   * The desired set; with `heldGeneration` a conditional pull (`If-None-Match: "<generation>"`),
   * answered {@link NotModified} when that generation is still the current one.
   */
  desiredPeers(nodeId: string, nodeToken: string, heldGeneration?: number): Promise<DesiredState | NotModified>;
}

/** Peer announcements (the node's own channel, `peersChangedChannel(nodeId)`, on the Redis transport). */
export interface PeerEvents {
  /** Starts delivering events; `onReconnect` fires when the link came back after a loss (events may have been missed). */
  start(onEvent: (event: PeersChangedEvent) => void, onReconnect: () => void): void;
  /** Hears the announcements of node `nodeId` only (from now on; before or after `start`); a new id replaces the old one. */
  follow(nodeId: string): void;
  connected(): boolean;
  close(): Promise<void>;
}
