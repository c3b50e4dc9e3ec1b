import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppError, Clock, ErrorCode, InjectConfig, sha256 } from '@phoenix/common';
import { allocatableCount, formatCidr, normalizeHost, parseCidr } from '@phoenix/wireguard';
import type { NetworkConfig } from '../config';
import { NodeView, PeerSetResponse, PulseDto } from './dto/pulse.dto';
import type { RegisterNodeDto, RegisterNodeResponse, TenantEnrollmentResponse } from './dto/register-node.dto';
import { FleetCounters } from './fleet-counters.store';
import { NodeMetricsStore } from './node-metrics.store';
import { ListedNode, NodesRepository } from './nodes.repository';
import { NodeSelectionService } from './node-selection.service';
import { PeerAnnouncer, desiredPeer } from './peer-announcer';
import { TenantUsageStore } from './tenant-usage.store';

/** Smallest pools a node may register: room for the gateway and clients. */
const MAX_PREFIX_V4 = 30;
const MAX_PREFIX_V6 = 126;

function nodeGone(): AppError {
  return new AppError(ErrorCode.NODE_DECOMMISSIONED, 'this node is decommissioned: shut the interface');
}

/** The node fleet: registration, pulses, desired peer sets, drain and decommission. */
@Injectable()
export class FleetService {
  constructor(
    @InjectConfig() private readonly config: NetworkConfig,
    private readonly nodes: NodesRepository,
    private readonly metrics: NodeMetricsStore,
    private readonly announcer: PeerAnnouncer,
    private readonly clock: Clock,
    private readonly selection: NodeSelectionService,
    private readonly counters: FleetCounters,
    private readonly usage: TenantUsageStore,
  ) {}

  async register(dto: RegisterNodeDto): Promise<{ created: boolean; body: RegisterNodeResponse }> {
    const v4 = parseCidr(dto.tunnelCidrV4);
    const v6 = dto.tunnelCidrV6 === undefined ? null : parseCidr(dto.tunnelCidrV6);
    if (v4.prefix > MAX_PREFIX_V4) throw new AppError(ErrorCode.VALIDATION_FAILED, `tunnelCidrV4 must be /${MAX_PREFIX_V4} or larger`);
    if (v6 && v6.prefix > MAX_PREFIX_V6) throw new AppError(ErrorCode.VALIDATION_FAILED, `tunnelCidrV6 must be /${MAX_PREFIX_V6} or larger`);
    // The DNS addresses handed to clients are reserved too, so keep a little headroom.
    if (BigInt(dto.capacity) > allocatableCount(v4) - 2n || (v6 && BigInt(dto.capacity) > allocatableCount(v6) - 2n)) {
      throw new AppError(ErrorCode.VALIDATION_FAILED, 'capacity exceeds the addresses in the tunnel pools');
    }
    // 32 random bytes: a fresh secret on every registration; only its hash is kept.
    const nodeToken = randomBytes(32).toString('base64url');
    const { node, created } = await this.nodes.register({
      publicKey: dto.publicKey,
      endpointHost: normalizeHost(dto.endpoint.host),
      endpointPort: dto.endpoint.port,
      locationId: dto.location,
      capacity: dto.capacity,
      tunnelCidrV4: formatCidr(v4),
      tunnelCidrV6: v6 ? formatCidr(v6) : null,
      ephemeral: dto.ephemeral,
      version: dto.version,
      tokenHash: sha256(nodeToken),
      pulseIntervalSec: this.config.PULSE_INTERVAL_SEC,
      tenantId: dto.tenantId?.toLowerCase() ?? null,
    });
    this.selection.invalidate();
    return { created, body: { id: node.id, nodeToken, pulseIntervalSec: node.pulseIntervalSec } };
  }

  /** A fresh node enrollment token for `tenantId` (only its hash is kept; the previous one stops working). */
  async tenantEnrollmentToken(tenantId: string): Promise<TenantEnrollmentResponse> {
    const enrollmentToken = randomBytes(32).toString('base64url');
    await this.nodes.setTenantEnrollment(tenantId.toLowerCase(), sha256(enrollmentToken));
    return { tenantId: tenantId.toLowerCase(), enrollmentToken };
  }

  async pulse(id: string, dto: PulseDto): Promise<{ generation: number }> {
    const pulsed = await this.nodes.recordPulse(id, dto.healthy);
    if (pulsed === null) throw nodeGone();
    // Only a pulse that changed the row matters to selection's cached rows (at 10,000 nodes,
    // 333 pulses a second would otherwise drop them all the time).
    if (pulsed.changed) this.selection.invalidate();
    await this.metrics.recordPulse(id, dto, this.clock.nowMs(), this.config.PULSE_INTERVAL_SEC);
    // Counted once the pulse is answered 200 (a pulse that failed is retried and would count twice).
    this.counters.load(pulsed.locationId, dto.load);
    return { generation: pulsed.generation };
  }

  /**
   * The desired peer set; with `held` (the generations named by the request's `If-None-Match`),
   * the node's `current` generation (as its authentication read it, a moment ago) is compared
   * first, and when the node holds it the answer is `notModified` without reading a lease.
   */
  async peers(id: string, held?: ReadonlySet<number> | '*', current?: { status: string; generation: number }): Promise<PeerSetResponse | { notModified: number }> {
    if (held !== undefined && current !== undefined) {
      if (current.status === 'decommissioned') throw nodeGone();
      if (held === '*' || held.has(current.generation)) return { notModified: current.generation };
    }
    const set = await this.nodes.peerSet(id);
    if (!set) throw new AppError(ErrorCode.NOT_FOUND, 'unknown node');
    if (set.status === 'decommissioned') throw nodeGone();
    return { generation: set.generation, peers: set.peers.map((p) => desiredPeer(p.publicKey, p.ipv4, p.ipv6, p.expiresAt, p.tenantId)) };
  }

  async list(): Promise<NodeView[]> {
    const records = await this.nodes.list();
    const hot = await this.metrics.peek(records.map((r) => r.id));
    return records.map((r) => this.view(r, hot.get(r.id)?.load ?? null, hot.get(r.id)?.peers ?? null));
  }

  async drain(id: string): Promise<NodeView> {
    const node = await this.nodes.drain(id);
    if (!node) throw new AppError(ErrorCode.NOT_FOUND, 'unknown node');
    this.selection.invalidate();
    return this.view(node, null, null);
  }

  /** Ends the node's leases and tells it to shut its interface. Idempotent. */
  async decommission(id: string): Promise<void> {
    const result = await this.nodes.decommission(id);
    if (!result) throw new AppError(ErrorCode.NOT_FOUND, 'unknown node');
    this.selection.invalidate();
    await this.metrics.forget(id);
    this.announcer.announce({ nodeId: id, generation: result.generation, added: [], removed: result.removed, decommissioned: true });
    for (const t of result.tenantLeases) this.usage.held(t.tenantId, t.from, t.to);
  }

  private view(r: ListedNode, load: number | null, peers: number | null): NodeView {
    return {
      id: r.id,
      publicKey: r.publicKey,
      endpoint: { host: r.endpointHost, port: r.endpointPort },
      location: r.locationId,
      capacity: r.capacity,
      tunnelCidrV4: r.tunnelCidrV4,
      tunnelCidrV6: r.tunnelCidrV6,
      ephemeral: r.ephemeral,
      version: r.version,
      status: r.status,
      draining: r.draining,
      healthy: r.healthy,
      generation: r.generation,
      pulseIntervalSec: r.pulseIntervalSec,
      registeredAt: r.registeredAt.toISOString(),
      lastPulseAt: r.lastPulseAt ? r.lastPulseAt.toISOString() : null,
      load,
      peers,
      tenantId: r.tenantId,
    };
  }
}
