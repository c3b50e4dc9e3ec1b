import { Injectable } from '@nestjs/common';
import { AppError, ErrorCode, LOCATION_ID } from '@phoenix/common';
import { NodeSelectionService } from '../fleet/node-selection.service';
import { AdminLocationView, PublicLocationView } from './dto/location.dto';
import { LocationRecord, LocationsRepository } from './locations.repository';

function adminView(l: LocationRecord): AdminLocationView {
  return { id: l.id, country: l.country, city: l.city, createdAt: l.createdAt.toISOString(), updatedAt: l.updatedAt.toISOString() };
}

@Injectable()
export class LocationsService {
  constructor(
    private readonly locations: LocationsRepository,
    private readonly selection: NodeSelectionService,
  ) {}

  /** The public catalogue: no node addresses, just whether and how busy. */
  async publicList(): Promise<PublicLocationView[]> {
    const [locations, availability] = await Promise.all([this.locations.list(), this.selection.availability()]);
    return locations.map((l) => {
      const a = availability.get(l.id) ?? { available: false, load: 'high' as const };
      return { id: l.id, country: l.country, city: l.city, available: a.available, load: a.load };
    });
  }

  async adminList(): Promise<AdminLocationView[]> {
    return (await this.locations.list()).map(adminView);
  }

  async adminGet(id: string): Promise<AdminLocationView> {
    const l = LOCATION_ID.test(id) ? await this.locations.get(id) : null;
    if (!l) throw new AppError(ErrorCode.UNKNOWN_LOCATION, `unknown location ${id}`);
    return adminView(l);
  }

  async put(id: string, country: string, city: string): Promise<{ created: boolean; view: AdminLocationView }> {
    if (!LOCATION_ID.test(id)) throw new AppError(ErrorCode.VALIDATION_FAILED, 'location id must look like de-fra (country code, dash, 2-16 lower-case letters or digits)');
    const { location, created } = await this.locations.put(id, country, city);
    return { created, view: adminView(location) };
  }

  async delete(id: string): Promise<void> {
    const result = LOCATION_ID.test(id) ? await this.locations.delete(id) : 'not-found';
    if (result === 'not-found') throw new AppError(ErrorCode.UNKNOWN_LOCATION, `unknown location ${id}`);
    if (result === 'in-use') throw new AppError(ErrorCode.CONFLICT, 'nodes are registered in this location; decommission them first');
  }
}
