export * from './patterns';
export * from './redis-transport';
export * from './ping.controller';
