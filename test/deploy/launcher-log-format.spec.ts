import { logFormatFor } from '../../scripts/runtime-defaults.mjs';

/** scripts/run-all.mjs pipes the apps' output, so it decides LOG_FORMAT=auto for them by its own stdout. */
describe(logFormatFor.name, () => {
  it.each([
    // LOG_FORMAT, NODE_ENV, launcher on a terminal, what the apps get
    [undefined, undefined, true, 'pretty'],
    ['', 'development', true, 'pretty'],
    ['auto', 'development', true, 'pretty'],
    ['auto', 'development', false, 'json'],
    [undefined, 'production', true, 'json'],
    ['json', 'development', true, 'json'],
    ['pretty', 'production', false, 'pretty'],
    ['colour', 'development', true, 'colour'], // passed on: the app refuses it, naming LOG_FORMAT
  ])('LOG_FORMAT=%s, NODE_ENV=%s, terminal %s: %s', (logFormat, nodeEnv, stdoutIsTty, expected) => {
    expect(logFormatFor({ LOG_FORMAT: logFormat, NODE_ENV: nodeEnv }, stdoutIsTty)).toBe(expected);
  });
});
