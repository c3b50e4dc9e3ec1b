import { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE } from '@phoenix/database';
import { QUEUED_COLUMNS } from './telemetry-event';

/** The ClickHouse side of ingest: inserts into `telemetry`. */
@Injectable()
export class TelemetryRepository {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  /**
   * Inserts queued rows, each a TabSeparated line of {@link QUEUED_COLUMNS} followed by its
   * `row_key`, in one INSERT. TabSeparated is sent as it is (no JSON encoding on our side or
   * parsing on ClickHouse's): the queue already holds the lines.
   */
  async insert(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.ch.insert({
      table: 'telemetry',
      format: 'TabSeparated',
      columns: [...QUEUED_COLUMNS, 'row_key'],
      values: Readable.from([Buffer.from(`${lines.join('\n')}\n`)], { objectMode: false }),
    });
  }
}
