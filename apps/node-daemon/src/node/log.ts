import type { Logger } from '@nestjs/common';

/** The part of Nest's Logger the node's collaborators use (specs pass a silent one). */
export type NodeLogger = Pick<Logger, 'log' | 'warn' | 'error' | 'debug'>;

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
