import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { configShape } from './config';
import { authServiceOptions } from './http';
import { issuerKek } from './issuance/kek';

async function main(): Promise<void> {
  const config = loadConfigOrExit('auth-service', configShape);
  try {
    issuerKek(config.ISSUER_KEY_ENCRYPTION_KEY, config.NODE_ENV);
  } catch (e) {
    process.stderr.write(`auth-service: Invalid configuration: ${(e as Error).message}\n`);
    process.exit(1);
  }
  await startService(authServiceOptions(config, { redisTransportUrl: config.REDIS_URL }));
}

void main();
