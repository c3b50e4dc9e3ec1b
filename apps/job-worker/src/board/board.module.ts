import { DynamicModule, Module } from '@nestjs/common';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { BullBoardModule } from '@bull-board/nestjs';
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import type { JobsConfig } from '../config';
import { BLOCKLIST_QUEUE, SCHEDULES_QUEUE } from '../schedules/schedules.queue';
import { adminOnly } from './admin-auth';

const BOARD_ROUTE = '/admin/queues';

/**
 * Bull Board's Fastify adapter, its plugin wrapped in a scope whose `onRequest` hook admits only
 * `ADMIN_TOKEN`. `@bull-board/nestjs` applies its `middleware` option only on Express; a hook on
 * the board's own scope covers every route the board registers (page, assets, API) however the
 * path is spelled, and nothing else of the app.
 */
function guardedAdapter(token: string): new () => FastifyAdapter {
  return class GuardedBoardAdapter extends FastifyAdapter {
    override registerPlugin(): FastifyPluginCallback {
      const board = super.registerPlugin();
      return (scope: FastifyInstance, _opts, done) => {
        scope.addHook('onRequest', adminOnly(token));
        void scope.register(board);
        done();
      };
    }
  };
}

/** Bull Board at `GET /admin/queues`, behind `ADMIN_TOKEN`. */
@Module({})
export class BoardModule {
  static forRoot(config: JobsConfig): DynamicModule {
    return {
      module: BoardModule,
      imports: [
        BullBoardModule.forRoot({ route: BOARD_ROUTE, adapter: guardedAdapter(config.ADMIN_TOKEN) }),
        BullBoardModule.forFeature({ name: SCHEDULES_QUEUE, adapter: BullMQAdapter }, { name: BLOCKLIST_QUEUE, adapter: BullMQAdapter }),
      ],
    };
  }
}
