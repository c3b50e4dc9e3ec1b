// Test support for the suites of server-side reports (fleet_hourly, tenant_usage_daily): the
// service in-process with its Redis transport, a sender on config-service's side of Redis (the
// network user, so the ACL is what production has), ClickHouse, and the service's log lines.
import { ClientProxy, ClientProxyFactory } from '@nestjs/microservices';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { createServiceApp, loadConfig, redisClientOptions, redisTransportOptions } from '@phoenix/common';
import { CapturedLogs, captureServiceLogs, migrateStackDatabases, sideRedisUrl, until } from '@phoenix/common/testing';
import { createClickHouse } from '@phoenix/database';
import { lastValueFrom } from 'rxjs';
import { AppModule } from '../src/app.module';
import { configShape } from '../src/config';

export interface ReportReceiver {
  app: NestFastifyApplication;
  ch: ClickHouseClient;
  logs: CapturedLogs;
  /** Emits `report` on `pattern` as config-service does. */
  send(report: unknown): Promise<void>;
  /**
   * Returns once the transport delivers: `settle` sends a good report and waits for its row (the
   * server's subscription is in place once one gets through).
   */
  waitForTransport(settle: () => Promise<void>): Promise<void>;
  /** Closes everything, after deleting the rows whose `column` is one of `used` from `table`. */
  close(table: string, column: string, used: readonly string[]): Promise<void>;
}

export async function startReportReceiver(pattern: string, senderName: string): Promise<ReportReceiver> {
  // The stack's ClickHouse, whose tables a fresh stack does not have yet.
  migrateStackDatabases(['analytics-service']);
  const config = loadConfig(configShape, { ...process.env, REDIS_URL: sideRedisUrl('analytics-service'), LOG_LEVEL: 'silent' });
  const app = await createServiceApp({ service: 'analytics-service', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
  app.connectMicroservice(redisTransportOptions(config.REDIS_URL), { inheritAppConfig: true });
  await app.startAllMicroservices();
  await app.listen(0, '127.0.0.1');
  const logs = captureServiceLogs('analytics-service');
  const ch = createClickHouse(config.CLICKHOUSE_URL);
  const sender = ClientProxyFactory.create(redisClientOptions(senderName, sideRedisUrl('config-service')) as never) as unknown as ClientProxy;
  return {
    app,
    ch,
    logs,
    send: (report) => lastValueFrom(sender.emit(pattern, report), { defaultValue: undefined }),
    waitForTransport: async (settle) => {
      await until('the transport to deliver', 15_000, async () => {
        try {
          await settle();
          return true;
        } catch {
          return undefined;
        }
      });
    },
    close: async (table, column, used) => {
      await sender.close();
      await app.close();
      logs.restore();
      if (used.length) await ch.command({ query: `ALTER TABLE ${table} DELETE WHERE ${column} IN (${used.map((v) => `'${v}'`).join(', ')})` });
      await ch.close();
    },
  };
}
