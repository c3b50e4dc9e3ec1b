// The network side's entities and migrations. Only config-service imports these.
import { LeaseEntity } from './entities/lease.entity';
import { Location, LocationSeed } from './entities/location.entity';
import { NodeEntity, NodeGenerationEntity } from './entities/node.entity';
import { NetworkSchema1763800000000 } from './migrations/1763800000000-network-schema';
import { SpentToken1796071258000 } from './migrations/1796071258000-spent-token';
import { NodeGeneration1797000000000 } from './migrations/1797000000000-node-generation';
import { LeaseCreate1797000000001 } from './migrations/1797000000001-lease-create';
import { TenantLeases1797100000000 } from './migrations/1797100000000-tenant-leases';
import { NodePulse1797200000000 } from './migrations/1797200000000-node-pulse';

export const NETWORK_ENTITIES: Function[] = [Location, LocationSeed, NodeEntity, NodeGenerationEntity, LeaseEntity];
export const NETWORK_MIGRATIONS: Function[] = [NetworkSchema1763800000000, SpentToken1796071258000, NodeGeneration1797000000000, LeaseCreate1797000000001, TenantLeases1797100000000, NodePulse1797200000000];
