export { ConfigModule } from './config.module.js';
export { ConfigValidationError, HeraldConfig, loadConfig, workerPoolNeed, workerPoolSize } from './herald-config.js';
export { crossVariableProblems, envSchema, parsedValueProblems, type ConfigWarning, type Env } from './config.schema.js';
