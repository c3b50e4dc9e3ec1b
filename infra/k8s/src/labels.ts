import { Side } from './services';

/** Label and annotation keys of Phoenix's own (the prefix is ours; `phoenix.example` like the hosts). */
export const LABEL = {
  side: 'phoenix.example/side',
  datastore: 'phoenix.example/datastore',
  gateway: 'phoenix.example/gateway',
  configHash: 'phoenix.example/config-sha256',
  egress: 'phoenix.example/egress',
} as const;

/** Set by the API server on every namespace since Kubernetes 1.21 and not settable by users. */
export const NAMESPACE_NAME = 'kubernetes.io/metadata.name';

export type Component = 'api' | 'worker' | 'migration' | 'platform';

/** The selector of a workload's pods: its name only (stable across versions). */
export function selectorOf(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name };
}

export function labelsOf(name: string, component: Component, side?: Side): Record<string, string> {
  return {
    ...selectorOf(name),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'phoenix',
    'app.kubernetes.io/managed-by': 'phoenix-k8s-render',
    ...(side ? { [LABEL.side]: side } : {}),
  };
}

/** A namespaceSelector for exactly one namespace, by the label the API server sets. */
export function namespaceSelector(namespace: string) {
  return { matchLabels: { [NAMESPACE_NAME]: namespace } };
}
