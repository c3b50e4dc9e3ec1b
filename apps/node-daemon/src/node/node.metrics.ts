import { Counter, Gauge, Registry } from 'prom-client';

/** The node's Prometheus series. Counts and totals only: no peer key, no address, no label per user. */
export class NodeMetrics {
  readonly peers: Gauge;
  readonly rxBytes: Gauge;
  readonly txBytes: Gauge;
  readonly reconciles: Counter;
  readonly reconcileErrors: Counter;
  readonly peerSetPulls: Counter<'answer'>;
  readonly lastReconcile: Gauge;
  readonly generation: Gauge;
  readonly peerChanges: Counter<'change'>;
  readonly interfaceRecreations: Counter;
  readonly firewallReapplies: Counter;
  readonly controlPlaneUp: Gauge;
  readonly pulses: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.peers = new Gauge({ name: 'phoenix_node_peers', help: 'Peers configured on the WireGuard interface', registers });
    this.rxBytes = new Gauge({ name: 'phoenix_node_rx_bytes', help: 'Bytes received from peers, summed over the interface', registers });
    this.txBytes = new Gauge({ name: 'phoenix_node_tx_bytes', help: 'Bytes sent to peers, summed over the interface', registers });
    this.reconciles = new Counter({ name: 'phoenix_node_reconciles_total', help: 'Reconciliations against the desired peer set of config-service', registers });
    this.reconcileErrors = new Counter({ name: 'phoenix_node_reconcile_errors_total', help: 'Reconciliations that failed', registers });
    this.peerSetPulls = new Counter({
      name: 'phoenix_node_peer_set_pulls_total',
      help: 'GET /nodes/:id/peers answered: full (the whole set) or not-modified (304, the generation held is current)',
      labelNames: ['answer'],
      registers,
    });
    this.lastReconcile = new Gauge({ name: 'phoenix_node_last_reconcile_timestamp_seconds', help: 'Unix time of the last successful reconciliation', registers });
    this.generation = new Gauge({ name: 'phoenix_node_desired_generation', help: 'Generation of the desired peer set last applied', registers });
    this.peerChanges = new Counter({ name: 'phoenix_node_peer_changes_total', help: 'Peers added, updated or removed on the interface', labelNames: ['change'], registers });
    this.interfaceRecreations = new Counter({ name: 'phoenix_node_interface_recreations_total', help: 'Times the interface was (re)created', registers });
    this.firewallReapplies = new Counter({ name: 'phoenix_node_firewall_applies_total', help: 'Times the nftables ruleset was applied (start and drift)', registers });
    this.controlPlaneUp = new Gauge({ name: 'phoenix_node_control_plane_up', help: '1 when the last call to config-service succeeded', registers });
    this.pulses = new Counter({ name: 'phoenix_node_pulses_total', help: 'Pulses sent to config-service', labelNames: ['outcome'], registers });
  }
}
