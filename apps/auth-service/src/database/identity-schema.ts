// The identity side's entities and migrations. Only auth-service imports these.
export const IDENTITY_ENTITIES: Function[] = [];
export const IDENTITY_MIGRATIONS: Function[] = [];
