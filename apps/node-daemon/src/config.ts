import { ConfigOf, baseShape, env } from '@phoenix/common';

/** node-daemon environment. Its HTTP port serves only local health and metrics (loopback). */
export const configShape = {
  ...baseShape(3005, '127.0.0.1'),
  CONFIG_SERVICE_URL: env.url(['http:', 'https:']),
  NODE_ENROLLMENT_TOKEN: env.secret('dev-node-enrollment-token'),
};

export type NodeConfig = ConfigOf<typeof configShape>;
