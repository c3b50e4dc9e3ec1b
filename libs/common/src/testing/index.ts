export * from './service-basics';
export * from './config-schema';
export * from './service-process';
export * from './hostile-json';
export * from './redis-server';
export * from './fake-clock';
export * from './redis-keys';
export * from './tcp-proxy';
