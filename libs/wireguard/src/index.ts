// Public API of @phoenix/wireguard. Everything except `adapters/` is pure: no IO, no clock, no
// ambient randomness.
export * from './errors';
export * from './random';
export * from './ip';
export * from './cidr';
export * from './keys';
export * from './ipam';
export * from './endpoint';
export * from './interface-name';
export * from './node-selection';
export * from './config';
export * from './dump';
export * from './peer-diff';
export * from './peer-set';
export * from './nftables';
export * from './adapters/commands';
export * from './adapters/netns';
