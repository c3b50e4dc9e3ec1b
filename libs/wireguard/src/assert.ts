// Small input checks shared by the modules. Internal: not exported from the barrel.
import { WireGuardError, WireGuardErrorCode } from './errors';

/**
 * A short, single-line, quoted rendering of an untrusted value for an error message: truncated so
 * a huge input cannot flood a log, JSON-quoted so a newline in it cannot forge a log line.
 */
export function describe(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

export function fail(code: WireGuardErrorCode, message: string): never {
  throw new WireGuardError(code, message);
}

/** An integer in [min, max]; rejects NaN, fractions, and non-numbers. */
export function assertInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(WireGuardErrorCode.INVALID_ARGUMENT, `${field} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

export function assertPort(value: unknown, field = 'port'): number {
  return assertInteger(value, field, 1, 65_535);
}

export function assertArray<T>(value: unknown, field: string): readonly T[] {
  if (!Array.isArray(value)) fail(WireGuardErrorCode.INVALID_ARGUMENT, `${field} must be an array`);
  return value as readonly T[];
}

/** Digits only, no sign, no leading zero (so "08" cannot be read as octal anywhere downstream). */
export function parseDecimal(text: string, max: number): number | null {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}
