import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@phoenix/common';
import type { NodeConfig } from './config';
import { ConfigServiceClient } from './control-plane/config-service.client';
import { ControlPlaneModule } from './control-plane/control-plane.module';
import { NodeDaemon } from './node/node-daemon.service';
import { NodeModule, NodeOverrides } from './node/node.module';

@Module({})
export class AppModule {
  static forRoot(config: NodeConfig, overrides: NodeOverrides = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ControlPlaneModule.forRoot(config.CONFIG_SERVICE_URL, config.NODE_ENROLLMENT_TOKEN),
        NodeModule.forRoot(config, overrides),
        PlatformModule.forRoot({
          service: 'node-daemon',
          logLevel: config.LOG_LEVEL,
          readiness: {
            inject: [ConfigServiceClient, NodeDaemon],
            useFactory: (cs: ConfigServiceClient, daemon: NodeDaemon) => [
              { name: 'config-service', check: () => cs.live() },
              {
                name: 'wireguard',
                check: async () => {
                  if (!daemon.dataplaneHealthy()) throw new Error('interface or firewall not in place');
                },
              },
            ],
          },
        }),
      ],
    };
  }
}
