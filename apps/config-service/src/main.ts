import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { configShape } from './config';
import { configServiceOptions } from './http';

async function main(): Promise<void> {
  const config = loadConfigOrExit('config-service', configShape);
  await startService(configServiceOptions(config, { redisTransportUrl: config.REDIS_URL }));
}

void main();
