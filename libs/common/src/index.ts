export * from './errors';
export * from './config';
export * from './logging';
export * from './health';
export * from './metrics';
export * from './http';
export * from './transport';
export * from './time';
