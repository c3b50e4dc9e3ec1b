export * from './location-id';
