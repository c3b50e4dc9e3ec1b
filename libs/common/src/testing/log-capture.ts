import { Writable } from 'node:stream';
import { Logger } from '@nestjs/common';
import { ServiceLogger } from '../logging/logger';

/** What a spec reads of the log lines a service wrote while {@link captureServiceLogs} held Nest's logger. */
export interface CapturedLogs {
  /** Every line so far, parsed (the service logger writes one JSON object a line). */
  lines(): Array<Record<string, unknown>>;
  /** Everything written so far, as text (to assert what must never appear in a log). */
  text(): string;
  /** Gives Nest's default logger back. */
  restore(): void;
}

/** Makes Nest's logger a {@link ServiceLogger} of `service` at `level` writing into memory, for a spec to read. */
export function captureServiceLogs(service: string, level = 'info'): CapturedLogs {
  const chunks: string[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  Logger.overrideLogger(new ServiceLogger(service, level, out));
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => chunks.join(''),
    restore: () => Logger.overrideLogger(true),
  };
}
