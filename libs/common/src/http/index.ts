export * from './bootstrap';
export * from './platform.module';
export * from './raw-route';
