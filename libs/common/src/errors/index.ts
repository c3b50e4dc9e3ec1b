export * from './error-codes';
export * from './app-error';
export * from './error-body';
export * from './dependency-failure';
export * from './http-error.filter';
