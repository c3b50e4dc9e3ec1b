// The network side's entities and migrations. Only config-service imports these.
import { LeaseEntity } from './entities/lease.entity';
import { Location, LocationSeed } from './entities/location.entity';
import { NodeEntity } from './entities/node.entity';
import { NetworkSchema1763800000000 } from './migrations/1763800000000-network-schema';
import { SpentToken1796071258000 } from './migrations/1796071258000-spent-token';

export const NETWORK_ENTITIES: Function[] = [Location, LocationSeed, NodeEntity, LeaseEntity];
export const NETWORK_MIGRATIONS: Function[] = [NetworkSchema1763800000000, SpentToken1796071258000];
