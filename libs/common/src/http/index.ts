export * from './bootstrap';
export * from './platform.module';
