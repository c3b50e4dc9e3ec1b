import type { AuthConfig } from '../config';

/** The parsed configuration (AuthConfig). */
export const APP_CONFIG = Symbol('APP_CONFIG');
export type { AuthConfig };
