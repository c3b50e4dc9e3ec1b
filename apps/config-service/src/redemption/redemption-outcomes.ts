import { Injectable } from '@nestjs/common';
import { Clock } from '@phoenix/common';
import { FleetCounters } from '../fleet/fleet-counters.store';
import { LocationsRepository } from '../locations/locations.repository';

/** How long the list of location ids is reused to place invalid tokens. */
const KNOWN_LOCATIONS_TTL_MS = 60_000;

/**
 * Counts what each redemption ended in, per location, into the fleet totals (never failing or
 * delaying the redemption). The location is the chosen node's when there was one, else the one
 * asked for (`auto` when any would do).
 *
 * An invalid token is refused before the location asked for is looked at, and that location is
 * whatever the request said: it is counted there only when it exists, otherwise under `auto`, so
 * that made-up ids cannot grow the totals without bound (or carry text of the sender's choosing
 * into analytics).
 */
@Injectable()
export class RedemptionOutcomes {
  private known?: { at: number; ids: Promise<Set<string>> };

  constructor(
    private readonly counters: FleetCounters,
    private readonly locations: LocationsRepository,
    private readonly clock: Clock,
  ) {}

  success(location: string): void {
    this.counters.redemption('success', location);
  }

  reused(location: string): void {
    this.counters.redemption('reused', location);
  }

  noCapacity(location: string): void {
    this.counters.redemption('noCapacity', location);
  }

  /** An invalid, unverifiable or malformed token, for the location the request asked for. */
  invalid(requested: string): void {
    if (requested === 'auto') return this.counters.redemption('invalid', 'auto');
    void this.knownIds().then(
      (ids) => this.counters.redemption('invalid', ids.has(requested) ? requested : 'auto'),
      () => this.counters.redemption('invalid', 'auto'),
    );
  }

  private knownIds(): Promise<Set<string>> {
    const now = this.clock.nowMs();
    if (this.known && now - this.known.at < KNOWN_LOCATIONS_TTL_MS) return this.known.ids;
    const ids = this.locations.list().then((list) => new Set(list.map((l) => l.id)));
    const entry = { at: now, ids };
    this.known = entry;
    // A failed read is not kept: the next invalid token asks the database again.
    ids.catch(() => this.known === entry && (this.known = undefined));
    return ids;
  }
}
