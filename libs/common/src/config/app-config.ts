import { Inject } from '@nestjs/common';

/** The token of an app's parsed configuration (what its `config.ts` schema gives). */
export const APP_CONFIG = Symbol('APP_CONFIG');

/** The provider of the app's parsed configuration, given once by the app's `CoreModule`. */
export function provideConfig<C extends object>(config: C): { provide: typeof APP_CONFIG; useValue: C } {
  return { provide: APP_CONFIG, useValue: config };
}

/**
 * Injects the app's parsed configuration: `constructor(@InjectConfig() config: AuthConfig)`.
 * A decorator cannot carry a type: the parameter's annotation names the app's config type.
 */
export const InjectConfig = (): PropertyDecorator & ParameterDecorator => Inject(APP_CONFIG);
