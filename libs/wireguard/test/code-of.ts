import { WireGuardError, WireGuardErrorCode } from '../src/errors';

/** The `WireGuardError` code `fn` throws, or undefined when it throws nothing or something else. */
export function codeOf(fn: () => unknown): WireGuardErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof WireGuardError ? error.code : undefined;
  }
  return undefined;
}
