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
export { LogDestination, MAX_BUFFERED_LOG_BYTES, MAX_LOG_WRITE_RETRIES, stdoutDestination, type ExitHost } from './log-destination.js';
export { startShutdownWatchdog, WATCHDOG_GRACE_MS, type ShutdownWatchdog, type ShutdownWatchdogOptions } from './shutdown-watchdog.js';
export { LATENCY_BUCKETS, Metrics, MetricsModule } from './metrics.js';
export { isServiceUnavailable } from './service-unavailable.js';
export { isPermanentFailure, retryAfterOf, type PermanentFailure } from './permanent-failure.js';
export { maskEmail, maskEmailsIn, QUERY_PARAMETERS_SHOWN, REDACTED, redactQuery, redactText, redactUrl } from './redaction.js';
export { RedactingSpanExporter, redactSpan } from './redacting-span-exporter.js';
export {
  DependencyUnavailableError,
  maskUrl,
  reasonOf,
  waitForDependencies,
  withoutPasswords,
  type StartupDependency,
} from './startup-dependencies.js';
export {
  activeTraceIds,
  batchSpanOptions,
  contextOf,
  currentTraceparent,
  inSpan,
  spanContextOf,
  SpanKind,
  type Attributes,
  type Link,
  type Span,
  type SpanOptions,
} from './tracing.js';
export { OTLP_PROTOCOLS, shutdownTracing, startTracing, TracingConfigError, tracingSettings, type TracingSettings } from './tracing-sdk.js';
