export * from './bootstrap';
export * from './platform.module';
export * from './raw-route';
export * from './json-limits';
export * from './json-body';
export * from './bearer';
export * from './admin.guard';
export * from './cors';
