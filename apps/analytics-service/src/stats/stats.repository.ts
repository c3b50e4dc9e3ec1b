import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { AppError } from '@phoenix/common';
import { CLICKHOUSE, clickHouseErrorCode } from '@phoenix/database';
import { CELL_EVENTS, PanelName, allCellsSql, panelFields } from './panels';
import type { StatsWindow } from './stats-window';

export type StatsRow = Record<string, string | number | null>;

/** One cell of a panel: its API row and the number of events it is built from. */
export interface StatsCell {
  row: StatsRow;
  events: number;
}

/**
 * ClickHouse: the cells of a stats panel over a window. ClickHouse 18.16 has no server-side query
 * parameters: the only values put into the SQL are the window's integers and k, both numbers the
 * service parsed itself.
 */
@Injectable()
export class StatsRepository {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}

  async cells(panel: PanelName, window: StatsWindow, k: number): Promise<StatsCell[]> {
    const query = allCellsSql(panel, { start: `toDateTime(${window.startSec})`, end: `toDateTime(${window.endSec})`, k: String(Math.trunc(k)) });
    let raw: Array<Record<string, unknown>>;
    try {
      const rs = await this.ch.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
      raw = await rs.json<Record<string, unknown>>();
    } catch (e) {
      throw clickHouseOutage(e) ? AppError.unavailable('ClickHouse', e) : e;
    }
    const fields = panelFields(panel);
    return raw.map((r) => ({
      row: Object.fromEntries(fields.map((f) => [f, r[f] as string | number | null])),
      events: Number(r[CELL_EVENTS]),
    }));
  }
}

/**
 * Errors ClickHouse answers with when it cannot reach what it needs rather than because the query
 * is wrong: 60 UNKNOWN_TABLE (the schema is not migrated; readiness checks Redis only, README "Readiness"), and on a
 * cluster a shard the Distributed table cannot reach — 209 SOCKET_TIMEOUT, 210 NETWORK_ERROR,
 * 279 ALL_CONNECTION_TRIES_FAILED (README "Sharded ClickHouse": an answer without a shard's rows
 * would be wrong, so none is given).
 */
const UNREACHABLE_CODES = new Set(['60', '209', '210', '279']);

/**
 * Whether a failed query means ClickHouse is out of reach rather than that the query is wrong:
 * anything ClickHouse did not answer itself (a refused or reset connection, the client's request
 * timeout), or one of {@link UNREACHABLE_CODES}. An error ClickHouse reports about the SQL stays a
 * bug (500).
 */
function clickHouseOutage(e: unknown): boolean {
  // Not `instanceof Error`: socket errors are made in Node's own realm (a Jest sandbox has another).
  const message = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  if (typeof message !== 'string') return false;
  const code = clickHouseErrorCode(e);
  return code === undefined || UNREACHABLE_CODES.has(code);
}
