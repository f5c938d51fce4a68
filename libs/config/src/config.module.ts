import { Global, Module, type DynamicModule } from '@nestjs/common';
import { HeraldConfig, loadConfig } from './herald-config.js';

@Global()
@Module({})
export class ConfigModule {
  /** Validates the environment once, at module construction: a bad setting stops start-up. */
  static forRoot(config: HeraldConfig = loadConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: HeraldConfig, useValue: config }], exports: [HeraldConfig] };
  }
}
