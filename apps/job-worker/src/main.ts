import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape, jobsConfigRules } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('job-worker', configShape, jobsConfigRules);
  await startService({
    service: 'job-worker',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'Scheduled and background jobs (BullMQ): blocklist, node reaper, key rotation, retention.',
  });
}

void main();
