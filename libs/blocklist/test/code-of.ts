import { BlocklistError, BlocklistErrorCode } from '../src/errors';

/** The `BlocklistError` code `fn` throws, or undefined when it throws nothing or something else. */
export function codeOf(fn: () => unknown): BlocklistErrorCode | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof BlocklistError ? error.code : undefined;
  }
  return undefined;
}
