export { ConfigModule } from './config.module.js';
export { ConfigValidationError, HeraldConfig, loadConfig } from './herald-config.js';
export { crossVariableProblems, envSchema, type Env } from './config.schema.js';
