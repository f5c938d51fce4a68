// Node flags each herald app runs with unless NODE_OPTIONS is set: the one
// place for them (scripts/run-all.mjs, the Dockerfile — checked by
// test/deploy — the benchmark and the e2e tests all use these values).
//
// Why: V8 lets the heap grow lazily under load (the relay's catch-up, Argon2
// hashing); an old-generation cap keeps each app well under 200 MB RSS. Both also
// get a young-generation cap: V8 sizes semi-spaces itself, and Node 24's V8 lets
// them grow further than Node 20's did (the worker's relay catch-up peaked at
// 210–217 MB with the default, 193–198 MB with 16 MB, 180–181 MB with 8 MB, at
// no loss of relay rate); the API's 4 MB suits its peak (heap plus Argon2
// buffers). The figures behind these values are in README "Performance".
export const NODE_OPTIONS_BY_APP = {
  api: '--max-old-space-size=128 --max-semi-space-size=4',
  worker: '--max-old-space-size=128 --max-semi-space-size=8',
  cli: '',
};

/** NODE_OPTIONS for an app: the operator's own when set, else the default above. */
export function nodeOptionsFor(app, env = process.env) {
  return env.NODE_OPTIONS ?? NODE_OPTIONS_BY_APP[app] ?? '';
}

/**
 * LOG_FORMAT for an app whose output the launcher pipes: the app cannot see
 * the terminal, so the launcher decides `auto` by its own stdout (readable on
 * a terminal outside production, JSON otherwise). An explicit value passes
 * through (the app validates it).
 */
export function logFormatFor(env = process.env, stdoutIsTty = process.stdout.isTTY === true) {
  const setting = env.LOG_FORMAT || 'auto';
  if (setting !== 'auto') return setting;
  return stdoutIsTty && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
}
