export { ConfigModule } from './config.module.js';
export { ConfigValidationError, HeraldConfig, loadConfig, workerPoolNeed, workerPoolSize } from './herald-config.js';
export {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  configurationTable,
  readmeTableCells,
  settingRows,
  tableCells,
  withConfigurationTable,
  type SettingRow,
} from './config-docs.js';
export { crossVariableProblems, envSchema, parsedValueProblems, type ConfigWarning, type Env, type SettingDoc } from './config.schema.js';
