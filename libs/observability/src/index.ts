export { Correlation, type CorrelationScope } from './correlation.js';
export {
  chooseLogFormat,
  createLogger,
  PinoNestLogger,
  REDACTED_PATHS,
  type LogFormat,
  type LogFormatSetting,
  type LoggerSettings,
} from './logger.js';
export { installGracefulShutdown, type GracefulShutdownOptions, type ShutdownHost } from './graceful-shutdown.js';
export { LATENCY_BUCKETS, Metrics, MetricsModule } from './metrics.js';
export { isServiceUnavailable } from './service-unavailable.js';
