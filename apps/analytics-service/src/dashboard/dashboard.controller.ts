import { Controller, Get, Param, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBasicAuth, ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ErrorCode } from '@phoenix/common';
import { DashboardAdminGuard } from '../stats/admin-credentials.guard';
import { DashboardAssets } from './dashboard-assets';

/**
 * What the page may do: load its own scripts, styles and data from this origin and nothing else.
 * No inline script or style, no plugins, no framing, no forms posting anywhere.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

@ApiTags('dashboard')
@ApiBasicAuth()
@UseGuards(DashboardAdminGuard)
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  @ApiOperation({ summary: 'Admin: the dashboards as a page (the browser asks for the admin token once, as the Basic password)' })
  page(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    this.send('index.html', req, reply);
  }

  @Get(':asset')
  @ApiExcludeEndpoint()
  asset(@Param('asset') name: string, @Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    if (name === 'index.html') throw new AppError(ErrorCode.NOT_FOUND, 'no such dashboard file');
    this.send(name, req, reply);
  }

  private send(name: string, req: FastifyRequest, reply: FastifyReply): void {
    const asset = this.assets.get(name);
    if (!asset) throw new AppError(ErrorCode.NOT_FOUND, 'no such dashboard file');
    void reply
      .header('Content-Security-Policy', CONTENT_SECURITY_POLICY)
      .header('X-Content-Type-Options', 'nosniff')
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'no-referrer')
      // Behind the admin guard: never in a shared cache; revalidated by ETag on every load.
      .header('Cache-Control', 'private, no-cache')
      .header('ETag', asset.etag)
      .type(asset.contentType);
    if (req.headers['if-none-match'] === asset.etag) {
      void reply.status(304).send();
      return;
    }
    void reply.status(200).send(asset.body);
  }
}
