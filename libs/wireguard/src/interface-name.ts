import { describe, fail } from './assert';
import { WireGuardErrorCode } from './errors';

// Linux allows up to 15 bytes (IFNAMSIZ − 1). We also refuse a leading '-' (it would read as an
// option to `ip`/`wg`) and "." / ".." (rejected by the kernel).
const INTERFACE_NAME = /^[a-zA-Z0-9_.-]{1,15}$/;

/** True when `name` is a safe Linux interface name. */
export function isValidInterfaceName(name: unknown): boolean {
  return typeof name === 'string' && INTERFACE_NAME.test(name) && !name.startsWith('-') && name !== '.' && name !== '..';
}

/**
 * Checks an interface name and returns it.
 *
 * @throws {WireGuardError} INVALID_INTERFACE
 * @example assertInterfaceName('wg0') // → 'wg0'
 */
export function assertInterfaceName(name: string, field = 'interface'): string {
  if (!isValidInterfaceName(name)) fail(WireGuardErrorCode.INVALID_INTERFACE, `${field} is not a valid interface name: ${describe(name)}`);
  return name;
}
