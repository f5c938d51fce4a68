import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HeraldConfig } from '@herald/config';
import { dataSourceOptions } from './data-source-options.js';

@Module({})
export class DatabaseModule {
  /**
   * One TypeORM data source with the session limits on; entities are
   * contributed by each module with `TypeOrmModule.forFeature`.
   */
  static forRoot(applicationName: string, options: { poolSize?: (config: HeraldConfig) => number } = {}): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [HeraldConfig],
          useFactory: (config: HeraldConfig) => ({
            ...dataSourceOptions(config, { applicationName, poolSize: options.poolSize?.(config), sessionLimits: true }),
            autoLoadEntities: true,
            // Start-up waits are bounded by the app (see waitForDependencies), not by retries here.
            retryAttempts: 0,
          }),
        }),
      ],
    };
  }
}
