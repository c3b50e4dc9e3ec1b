import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminGuard, Clock } from '@phoenix/common';
import { NodeView, PeerSetResponse, PulseDto, PulseResponse } from './dto/pulse.dto';
import { RegisterNodeDto, RegisterNodeResponse } from './dto/register-node.dto';
import { EnrollmentGuard } from './enrollment.guard';
import { FleetService } from './fleet.service';
import { AuthenticatedNodeRequest, NodeAuthGuard } from './node-auth.guard';
import { TenantUsageStore } from './tenant-usage.store';

/** A peer set's entity tag: its generation, strong (one generation is one set). */
export function etagOf(generation: number): string {
  return `"${generation}"`;
}

/**
 * The generations an `If-None-Match` names (RFC 9110 §13.1.2: a list of entity tags, compared
 * weakly, or `*`). Tags that are not a generation are ignored; undefined when the header is absent
 * or names none, so the request is answered in full.
 */
export function heldGenerations(header: string | undefined): ReadonlySet<number> | '*' | undefined {
  if (header === undefined || header.length > 1024) return undefined;
  if (header.trim() === '*') return '*';
  const held = new Set<number>();
  for (const m of header.matchAll(/(?:W\/)?"(\d{1,15})"/g)) held.add(Number(m[1]));
  return held.size > 0 ? held : undefined;
}

@ApiTags('nodes')
@ApiBearerAuth()
@Controller('nodes')
export class FleetController {
  constructor(
    private readonly fleet: FleetService,
    private readonly usage: TenantUsageStore,
    private readonly clock: Clock,
  ) {}

  @Post('register')
  @UseGuards(EnrollmentGuard)
  @ApiOperation({ summary: 'Register a node (Bearer NODE_ENROLLMENT_TOKEN); idempotent per public key' })
  @ApiResponse({ status: 201, type: RegisterNodeResponse, description: 'New node' })
  @ApiResponse({ status: 200, type: RegisterNodeResponse, description: 'Same public key again (new node token)' })
  @ApiResponse({ status: 404, description: 'UNKNOWN_LOCATION' })
  @ApiResponse({ status: 409, description: 'CONFLICT: tunnel pools of a registered node changed' })
  async register(@Body() dto: RegisterNodeDto, @Res({ passthrough: true }) reply: FastifyReply): Promise<RegisterNodeResponse> {
    const { created, body } = await this.fleet.register(dto);
    void reply.status(created ? 201 : 200);
    return body;
  }

  @Post(':id/pulse')
  @HttpCode(200)
  @UseGuards(NodeAuthGuard)
  @ApiOperation({ summary: "A node's heartbeat and load (Bearer nodeToken)" })
  @ApiOkResponse({ type: PulseResponse })
  @ApiResponse({ status: 410, description: 'NODE_DECOMMISSIONED' })
  async pulse(@Param('id') id: string, @Body() dto: PulseDto): Promise<PulseResponse> {
    const answer = await this.fleet.pulse(id, dto);
    // Metered once the pulse is accepted (one that failed is sent again, its bytes with it).
    const at = new Date(this.clock.nowMs());
    for (const t of dto.tenantBytes ?? []) this.usage.bytes(t.tenantId, t.bytes, at);
    return answer;
  }

  @Get(':id/peers')
  @UseGuards(NodeAuthGuard)
  @ApiOperation({
    summary: "The node's desired peer set, the source of truth for reconciliation (Bearer nodeToken)",
    description: 'ETag: "<generation>". With If-None-Match naming the current generation: 304, no body (one read: the node\'s credentials with its generation; no lease row).',
  })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of the set the node holds, e.g. "17"' })
  @ApiOkResponse({ type: PeerSetResponse })
  @ApiResponse({ status: 304, description: 'The node holds the current generation' })
  @ApiResponse({ status: 410, description: 'NODE_DECOMMISSIONED' })
  async peers(
    @Param('id') id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Req() req: AuthenticatedNodeRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PeerSetResponse | undefined> {
    const answer = await this.fleet.peers(id, heldGenerations(ifNoneMatch), req.node);
    if ('notModified' in answer) {
      void reply.status(304).header('etag', etagOf(answer.notModified));
      return undefined;
    }
    void reply.header('etag', etagOf(answer.generation));
    return answer;
  }

  @Get()
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Admin: every node with its state and last reported load' })
  @ApiOkResponse({ type: [NodeView] })
  list(): Promise<NodeView[]> {
    return this.fleet.list();
  }

  @Post(':id/drain')
  @HttpCode(200)
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Admin: stop new leases on a node, keep existing ones' })
  @ApiOkResponse({ type: NodeView })
  drain(@Param('id') id: string): Promise<NodeView> {
    return this.fleet.drain(id);
  }

  @Delete(':id')
  @HttpCode(204)
  @UseGuards(AdminGuard)
  @ApiOperation({ summary: 'Admin: decommission a node (its leases end; it is told to shut its interface)' })
  @ApiResponse({ status: 204 })
  async decommission(@Param('id') id: string): Promise<void> {
    await this.fleet.decommission(id);
  }
}
