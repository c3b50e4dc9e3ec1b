import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, InjectConfig } from '@phoenix/common';
import type { AnalyticsConfig } from '../config';
import { PanelName, isPanelName } from './panels';
import { StatsRepository, StatsRow } from './stats.repository';
import { parseStatsWindow } from './stats-window';

/** `GET /v1/stats/:panel` (API.md). */
export interface StatsResponse {
  panel: PanelName;
  from: string;
  to: string;
  k: number;
  rows: StatsRow[];
  suppressed: { cells: number; events: number };
}

/**
 * The stats panels with k-anonymity: a cell built from fewer than k (`K_ANONYMITY_MIN`) events is
 * left out and only counted, with its events, in `suppressed`.
 */
@Injectable()
export class StatsService {
  private readonly k: number;

  constructor(
    private readonly repository: StatsRepository,
    @InjectConfig() config: Pick<AnalyticsConfig, 'K_ANONYMITY_MIN'>,
  ) {
    this.k = config.K_ANONYMITY_MIN;
  }

  async panel(name: string, query: Record<string, unknown>): Promise<StatsResponse> {
    if (!isPanelName(name)) throw new AppError(ErrorCode.UNKNOWN_PANEL, `no stats panel named ${JSON.stringify(name.slice(0, 40))}`);
    const window = parseStatsWindow(query);
    const rows: StatsRow[] = [];
    const suppressed = { cells: 0, events: 0 };
    for (const cell of await this.repository.cells(name, window, this.k)) {
      if (cell.events >= this.k) {
        rows.push(cell.row);
      } else {
        suppressed.cells += 1;
        suppressed.events += cell.events;
      }
    }
    return { panel: name, from: window.from, to: window.to, k: this.k, rows, suppressed };
  }
}
