import { DynamicModule, Module } from '@nestjs/common';
import { Clock, METRICS_REGISTRY, ServiceMetrics } from '@phoenix/common';
import { CommandRunner, ExecFileRunner, NetnsRunner, netnsArgv } from '@phoenix/wireguard';
import type { NodeConfig } from '../config';
import { ConfigServiceClient } from '../control-plane/config-service.client';
import { ControlPlane, PeerEvents } from '../control-plane/control-plane';
import { RedisPeerEvents } from '../control-plane/peer-events.subscriber';
import { NodeDaemon } from './node-daemon.service';
import { NODE_SETTINGS, NodeLifecycle, PEER_EVENTS } from './node.lifecycle';
import { NodeMetrics } from './node.metrics';
import { NodeSettings, nodeSettingsFrom } from './node-settings';
import { FileNodeStore } from './node-state.store';
import { OsSystemStats } from './system-stats';
import { ArgvWrapper, WireGuardGoProcess } from './wireguard-go.process';

/** Adapters a test (or an unusual deployment) substitutes. */
export interface NodeOverrides {
  /** Runs `wg`, `ip`, `nft`, `sysctl` (e.g. `NetnsRunner` inside a network namespace). */
  runner?: CommandRunner;
  /** Wraps the wireguard-go argv (e.g. `ip netns exec <ns> …`). */
  wrapArgv?: ArgvWrapper;
  controlPlane?: ControlPlane;
  /** `null`: no announcements, poll only. */
  peerEvents?: PeerEvents | null;
  clock?: Clock;
  settings?: Partial<NodeSettings>;
}

/**
 * With `NODE_NETNS`, the data-plane commands and wireguard-go run inside that namespace
 * (`ip netns exec <ns> …`); the daemon's HTTP and Redis clients stay where the daemon runs.
 */
export function namespaceAdapters(ns: string | undefined): Pick<NodeOverrides, 'runner' | 'wrapArgv'> {
  if (ns === undefined) return {};
  return { runner: new NetnsRunner(new ExecFileRunner({ timeoutMs: 60_000 }), ns), wrapArgv: (cmd, args) => netnsArgv(ns, cmd, args) };
}

@Module({})
export class NodeModule {
  static forRoot(config: NodeConfig, overrides: NodeOverrides = {}): DynamicModule {
    const settings: NodeSettings = { ...nodeSettingsFrom(config), ...overrides.settings };
    const { runner, wrapArgv } = { ...namespaceAdapters(config.NODE_NETNS), ...overrides };
    return {
      module: NodeModule,
      global: true,
      providers: [
        { provide: NODE_SETTINGS, useValue: settings },
        { provide: NodeMetrics, inject: [METRICS_REGISTRY], useFactory: (m: ServiceMetrics) => new NodeMetrics(m.registry) },
        {
          provide: PEER_EVENTS,
          useFactory: (): PeerEvents | null =>
            overrides.peerEvents !== undefined ? overrides.peerEvents : config.REDIS_URL ? new RedisPeerEvents(config.REDIS_URL) : null,
        },
        {
          provide: NodeDaemon,
          inject: [NodeMetrics, ConfigServiceClient],
          useFactory: (metrics: NodeMetrics, client: ConfigServiceClient) =>
            new NodeDaemon(settings, {
              runner: runner ?? new ExecFileRunner({ timeoutMs: 60_000 }),
              controlPlane: overrides.controlPlane ?? client,
              store: new FileNodeStore(config.NODE_STATE_DIR),
              userspace: new WireGuardGoProcess({
                binary: config.WIREGUARD_GO_BIN,
                iface: settings.iface,
                stateDir: config.NODE_STATE_DIR,
                ...(wrapArgv ? { wrap: wrapArgv } : {}),
              }),
              clock: overrides.clock ?? new Clock(),
              random: Math.random,
              stats: new OsSystemStats(),
              metrics,
            }),
        },
        NodeLifecycle,
      ],
      exports: [NodeDaemon],
    };
  }
}
