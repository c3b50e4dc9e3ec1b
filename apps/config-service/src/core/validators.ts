import { ValidationOptions, registerDecorator } from 'class-validator';
import { isValidCidr, isValidWireGuardKey, normalizeHost } from '@phoenix/wireguard';

function simple(name: string, test: (value: unknown) => boolean, message: string, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: `$property ${message}`, ...options },
      validator: { validate: (value: unknown) => test(value) },
    });
}

/** A canonical base64 X25519 key as `wg` prints it (44 characters, 32 bytes, not all zero). */
export const IsWireGuardKey = (options?: ValidationOptions) =>
  simple('isWireGuardKey', isValidWireGuardKey, 'must be a base64 WireGuard key (44 characters, 32 bytes)', options);

/** An IP address or DNS host name (what a WireGuard Endpoint may name). */
export const IsEndpointHost = (options?: ValidationOptions) =>
  simple(
    'isEndpointHost',
    (v) => {
      if (typeof v !== 'string') return false;
      try {
        normalizeHost(v);
        return true;
      } catch {
        return false;
      }
    },
    'must be an IP address or a host name',
    options,
  );

/** A CIDR in network form of the given IP version. */
export const IsCidrOf = (version: 4 | 6, options?: ValidationOptions) =>
  simple('isCidrOf', (v) => typeof v === 'string' && isValidCidr(v) && v.includes(':') === (version === 6), `must be an IPv${version} CIDR in network form`, options);
