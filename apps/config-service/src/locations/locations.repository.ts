import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Row, rowsOf } from '../database/rows';

export interface LocationRecord {
  id: string;
  country: string;
  city: string;
  createdAt: Date;
  updatedAt: Date;
}

function toLocation(r: Row): LocationRecord {
  return { id: r.id as string, country: r.country as string, city: r.city as string, createdAt: r.created_at as Date, updatedAt: r.updated_at as Date };
}

@Injectable()
export class LocationsRepository {
  constructor(private readonly ds: DataSource) {}

  async list(): Promise<LocationRecord[]> {
    return (await this.ds.query(`SELECT * FROM location ORDER BY id`)).map(toLocation);
  }

  async get(id: string): Promise<LocationRecord | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM location WHERE id = $1`, [id]);
    return rows[0] ? toLocation(rows[0]) : null;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.ds.query(`SELECT 1 FROM location WHERE id = $1`, [id])).length > 0;
  }

  /** Creates or replaces a location. @returns whether it was created */
  async put(id: string, country: string, city: string): Promise<{ location: LocationRecord; created: boolean }> {
    const rows: Row[] = await this.ds.query(
      `INSERT INTO location (id, country, city) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET country = EXCLUDED.country, city = EXCLUDED.city, updated_at = now()
       RETURNING *, (xmax = 0) AS created`,
      [id, country, city],
    );
    const r = rows[0] as Row;
    return { location: toLocation(r), created: r.created as boolean };
  }

  /**
   * Deletes a location that no live node uses (decommissioned tombstones there are purged with it).
   * @returns 'deleted', 'not-found' or 'in-use'
   */
  async delete(id: string): Promise<'deleted' | 'not-found' | 'in-use'> {
    return this.ds.transaction(async (em) => {
      const loc: Row[] = await em.query(`SELECT id FROM location WHERE id = $1 FOR UPDATE`, [id]);
      if (!loc[0]) return 'not-found' as const;
      const live: Row[] = await em.query(`SELECT 1 FROM node WHERE location_id = $1 AND status <> 'decommissioned' LIMIT 1`, [id]);
      if (live[0]) return 'in-use' as const;
      await em.query(`DELETE FROM node WHERE location_id = $1 AND status = 'decommissioned'`, [id]);
      rowsOf(await em.query(`DELETE FROM location WHERE id = $1`, [id]));
      return 'deleted' as const;
    });
  }
}
