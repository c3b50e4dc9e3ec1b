// The network side's entities and migrations. Only config-service imports these.
export const NETWORK_ENTITIES: Function[] = [];
export const NETWORK_MIGRATIONS: Function[] = [];
