import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { JsonBodyLimits } from '@phoenix/common';
import { IngestService } from './ingest.service';
import { DURATION_BUCKETS, EVENT_TYPES, FAILURE_REASONS, MAX_EVENTS_PER_BATCH, PLATFORMS, TRANSFER_BUCKETS } from './telemetry-event';

/**
 * 500 events of up to 8 fields are ≈ 9,000 JSON values: above the platform's 8,192. 16,384 leaves
 * room for a batch that breaks the schema to be refused by it (`VALIDATION_FAILED`, naming the
 * field) rather than by the size guard.
 */
const EVENTS_JSON_LIMITS = { maxValues: 16_384 };

/**
 * The service's body limit (the platform's default is 64 KiB): 500 events are ≈ 110 KiB as clients
 * send them, twice that pretty-printed.
 */
export const EVENTS_BODY_LIMIT = 512 * 1024;

@ApiTags('telemetry')
@Controller('v1/events')
export class IngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post()
  @HttpCode(202)
  @JsonBodyLimits(EVENTS_JSON_LIMITS)
  @ApiOperation({
    summary: 'Queue anonymous telemetry events',
    description:
      '1 to 500 events; every event is checked against its type’s schema and the whole batch is refused (400 VALIDATION_FAILED, nothing stored) if one fails. ' +
      '`at` (RFC 3339 with a zone, within the last 7 days, at most 5 minutes ahead) is stored as its hour, default the hour of receipt; `appVersion` as MAJOR.MINOR. ' +
      '202 once the batch is durably queued; 503 UNAVAILABLE with Retry-After when the backlog is full or the queue is down.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['events'],
      additionalProperties: false,
      properties: {
        events: {
          type: 'array',
          minItems: 1,
          maxItems: MAX_EVENTS_PER_BATCH,
          items: {
            type: 'object',
            required: ['type', 'platform', 'appVersion'],
            properties: {
              type: { type: 'string', enum: [...EVENT_TYPES] },
              platform: { type: 'string', enum: [...PLATFORMS] },
              appVersion: { type: 'string', example: '3.2.1' },
              at: { type: 'string', format: 'date-time' },
              location: { type: 'string', example: 'de-fra' },
              outcome: { type: 'string', enum: ['success', 'failure'] },
              failureReason: { type: 'string', enum: [...FAILURE_REASONS] },
              handshakeMs: { type: 'integer', minimum: 0, maximum: 60_000 },
              downMbps: { type: 'number', minimum: 0, maximum: 100_000 },
              upMbps: { type: 'number', minimum: 0, maximum: 100_000 },
              durationBucket: { type: 'string', enum: [...DURATION_BUCKETS] },
              transferBucket: { type: 'string', enum: [...TRANSFER_BUCKETS] },
              mbBlocked: { type: 'number', minimum: 0, maximum: 100_000 },
              requestsBlocked: { type: 'integer', minimum: 0, maximum: 10_000_000 },
              timeSavedSec: { type: 'integer', minimum: 0, maximum: 86_400 },
            },
          },
        },
      },
    },
  })
  @ApiResponse({ status: 202, description: 'Durably queued', schema: { type: 'object', properties: { accepted: { type: 'integer' } } } })
  @ApiResponse({ status: 400, description: 'VALIDATION_FAILED: the whole batch is refused' })
  @ApiResponse({ status: 503, description: 'UNAVAILABLE (backlog full or queue down), with Retry-After' })
  accept(@Body() body: unknown): Promise<{ accepted: number }> {
    return this.ingest.accept(body);
  }
}
