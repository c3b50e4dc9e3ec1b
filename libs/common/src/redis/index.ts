export * from './redis-url';
export * from './redis-client';
