import { TracingConfigError, tracingSettings } from './tracing-sdk.js';

describe(tracingSettings.name, () => {
  it('is off without an OTLP endpoint, and when OTEL_SDK_DISABLED is true', () => {
    expect(tracingSettings({}, 'herald-api')).toEqual({ enabled: false, reason: 'no OTLP endpoint set' });
    expect(tracingSettings({ OTEL_SDK_DISABLED: 'TRUE', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'herald-api')).toEqual({
      enabled: false,
      reason: 'OTEL_SDK_DISABLED=true',
    });
  });

  it("is on with an endpoint: protobuf by default, the app's own service name unless OTEL_SERVICE_NAME says otherwise", () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, 'herald-worker')).toEqual({
      enabled: true,
      endpoint: 'http://collector:4318',
      protocol: 'http/protobuf',
      serviceName: 'herald-worker',
    });
    expect(
      tracingSettings(
        {
          OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces',
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'api-eu',
        },
        'herald-api',
      ),
    ).toMatchObject({ enabled: true, endpoint: 'https://traces.example', protocol: 'http/json', serviceName: 'api-eu' });
  });

  it('never repeats credentials an endpoint URL carries', () => {
    const settings = tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:secret@collector:4318' }, 'herald-api');
    expect(JSON.stringify(settings)).not.toContain('secret');
  });

  it.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318/' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://collector' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'nonsense' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be/],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      /OTEL_EXPORTER_OTLP_PROTOCOL must be one of http\/protobuf, http\/json/,
    ],
    [
      { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'json' },
      /OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be one of/,
    ],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => tracingSettings(env, 'herald-api')).toThrow(TracingConfigError);
    expect(() => tracingSettings(env, 'herald-api')).toThrow(message);
  });
});
