import type { z } from 'zod';
import { ConfigError, loadConfig, secretKeys } from '../config/env';

/**
 * Pins an app's env schema: it starts with `validEnv`, refuses to start without each required
 * variable (naming it), and in production refuses every development secret default.
 */
export function describeConfigSchema(service: string, shape: z.ZodRawShape, validEnv: Record<string, string>, required: string[]): void {
  describe(`${service} configuration`, () => {
    it('accepts a complete development environment', () => {
      expect(() => loadConfig(shape, validEnv)).not.toThrow();
    });

    it.each(required)('refuses to start without %s, naming it', (name) => {
      const env = { ...validEnv };
      delete env[name];
      expect(() => loadConfig(shape, env)).toThrow(ConfigError);
      expect(() => loadConfig(shape, env)).toThrow(new RegExp(`${name}: is required`));
    });

    it('refuses development secrets in production, naming each', () => {
      const secrets = secretKeys(shape);
      expect(secrets.length).toBeGreaterThan(0);
      let error: unknown;
      try {
        loadConfig(shape, { ...validEnv, NODE_ENV: 'production' });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      for (const s of secrets) expect((error as Error).message).toContain(`${s}: development secret refused in production`);
    });

    it('starts in production once every secret is a real one', () => {
      const real = Object.fromEntries(secretKeys(shape).map((k) => [k, `prod-${k.toLowerCase()}-0123456789abcdef`]));
      expect(() => loadConfig(shape, { ...validEnv, ...real, NODE_ENV: 'production' })).not.toThrow();
    });
  });
}
