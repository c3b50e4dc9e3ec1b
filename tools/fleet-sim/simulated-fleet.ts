import type { Announcements } from './announcements';
import { Clients } from './clients';
import { ConfigServiceCluster, StackUrls } from './cluster';
import { Fleet } from './fleet';
import type { LocalIssuer } from './issuer';
import { seedLeases } from './seed';

export interface SimulatedFleetOptions {
  name: string;
  nodes: number;
  replicas: number;
  pulseIntervalSec: number;
  reconcileSec: number;
  capacity: number;
  /** Spread the nodes over this many of the seeded locations. */
  locations: number;
  sockets: number;
  enrollConcurrency: number;
  /** Keep-alive connections of the redeeming clients per replica. */
  clientSockets?: number;
}

/** Tunnel pools every simulated node registers (a node's pools are its own: leases are unique per node). */
export const TUNNEL_CIDR_V4 = '100.64.0.0/16';
export const TUNNEL_CIDR_V6 = 'fd00:f1ee:7::/64';

/**
 * One fleet under test: config-service replicas on a throwaway database ({@link ConfigServiceCluster}),
 * N agents talking to them ({@link Fleet}) whose announcements come through the shared
 * {@link Announcements}, and clients redeeming against the same replicas ({@link Clients}).
 */
export class SimulatedFleet {
  private constructor(
    readonly cluster: ConfigServiceCluster,
    readonly fleet: Fleet,
    readonly clients: Clients,
    /** The locations the nodes are in. */
    readonly locations: string[],
  ) {}

  static async start(stack: StackUrls, issuer: LocalIssuer, announcements: Announcements, o: SimulatedFleetOptions): Promise<SimulatedFleet> {
    const cluster = await ConfigServiceCluster.start(stack, { name: o.name, replicas: o.replicas, pulseIntervalSec: o.pulseIntervalSec, issuerDirectoryUrl: issuer.directoryUrl });
    try {
      const locations = (await cluster.locations()).slice(0, Math.min(o.locations, o.nodes));
      if (locations.length === 0) throw new Error('no location is seeded');
      const fleet = new Fleet({
        name: o.name,
        nodes: o.nodes,
        locations,
        replicas: cluster.bases,
        enrollmentToken: cluster.enrollmentToken,
        capacity: o.capacity,
        tunnelCidrV4: TUNNEL_CIDR_V4,
        tunnelCidrV6: TUNNEL_CIDR_V6,
        reconcileSec: o.reconcileSec,
        backoffMaxSec: 60,
        enrollConcurrency: o.enrollConcurrency,
        socketsPerReplica: o.sockets,
        timeoutMs: 5000,
      });
      const clients = new Clients(cluster.bases, o.clientSockets ?? 32);
      fleet.onRegistered = (agent) => void announcements.add(agent);
      fleet.onPeerAnnounced = (publicKey) => clients.announced(publicKey);
      return new SimulatedFleet(cluster, fleet, clients, locations);
    } catch (e) {
      await cluster.stop();
      throw e;
    }
  }

  /** Process ids of the replicas (for their CPU time). */
  get pids(): number[] {
    return this.cluster.replicas.map((r) => r.pid);
  }

  /** Registered nodes in `location`. */
  nodesIn(location: string): number {
    return this.fleet.agents.filter((a) => a.registered && !a.decommissioned && a.location === location).length;
  }

  /** Seeds `perNode` leases per registered node (and as many spent tokens), before the nodes start. */
  seed(perNode: number): Promise<{ nodes: number; leases: number; spent: number }> {
    return seedLeases(() => this.cluster.connect(), perNode);
  }

  /**
   * Waits until every registered agent has pulled a peer set of `expectPeers` or more peers
   * (bounded by `timeoutMs`); resolves how many had.
   */
  async settled(expectPeers: number, timeoutMs: number): Promise<{ settled: number; of: number; seconds: number }> {
    const started = performance.now();
    const agents = this.fleet.agents.filter((a) => a.registered);
    const count = () => agents.filter((a) => a.reconciledAt > 0 && a.peers.size >= expectPeers).length;
    while (performance.now() - started < timeoutMs && count() < agents.length) await new Promise((r) => setTimeout(r, 250));
    return { settled: count(), of: agents.length, seconds: (performance.now() - started) / 1000 };
  }

  /** Stops the agents and clients, then the replicas; drops the database and the run's keys. */
  async stop(): Promise<void> {
    this.fleet.stop();
    this.clients.close();
    await this.cluster.stop();
  }
}
