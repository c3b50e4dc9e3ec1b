import { Body, Controller, Delete, Get, Header, HttpCode, Param, Put, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminGuard } from '@phoenix/common';
import { AdminLocationView, PublicLocationView, PutLocationDto } from './dto/location.dto';
import { LocationsService } from './locations.service';

@ApiTags('locations')
@Controller('locations')
export class LocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Get()
  @Header('Cache-Control', 'public, max-age=30')
  @ApiOperation({ summary: 'Locations users can choose, with availability and coarse load (no node addresses)' })
  @ApiOkResponse({ type: [PublicLocationView] })
  list(): Promise<PublicLocationView[]> {
    return this.locations.publicList();
  }
}

@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(AdminGuard)
@Controller('admin/locations')
export class AdminLocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Get()
  @ApiOperation({ summary: 'Admin: every location' })
  @ApiOkResponse({ type: [AdminLocationView] })
  list(): Promise<AdminLocationView[]> {
    return this.locations.adminList();
  }

  @Get(':id')
  @ApiOperation({ summary: 'Admin: one location' })
  @ApiOkResponse({ type: AdminLocationView })
  @ApiResponse({ status: 404, description: 'UNKNOWN_LOCATION' })
  get(@Param('id') id: string): Promise<AdminLocationView> {
    return this.locations.adminGet(id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Admin: create (201) or replace (200) a location' })
  @ApiResponse({ status: 201, type: AdminLocationView })
  @ApiResponse({ status: 200, type: AdminLocationView })
  async put(@Param('id') id: string, @Body() dto: PutLocationDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<AdminLocationView> {
    const { created, view } = await this.locations.put(id, dto.country, dto.city);
    void reply.status(created ? 201 : 200);
    return view;
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Admin: delete a location no live node uses' })
  @ApiResponse({ status: 204 })
  @ApiResponse({ status: 409, description: 'CONFLICT: nodes are registered there' })
  async delete(@Param('id') id: string): Promise<void> {
    await this.locations.delete(id);
  }
}
