export * from './service-basics';
export * from './config-schema';
