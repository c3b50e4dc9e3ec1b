export * from './clock';
export * from './day-range';
