// Node flags each herald app runs with unless NODE_OPTIONS is set: the one
// place for them (scripts/run-all.mjs, the Dockerfile — checked by
// test/deploy — the benchmark and the e2e tests all use these values).
//
// Why (measured with `npm run bench`, see README "Performance"): V8 lets the
// heap grow lazily under load — the worker reached 334 MB RSS during the relay
// catch-up, the API 270 MB while hashing passwords. An old-generation cap of
// 128 MB (an idle app uses ~45 MB of it) keeps both under ~200 MB. The API also
// gets 4 MB young-generation semi-spaces instead of 16: its peak is heap plus
// two 19 MiB Argon2 buffers (205 -> 192 MB at the same registration rate). The
// worker keeps the default young generation: smaller semi-spaces cost the
// relay's 1,000-row batches ~15 %.
export const NODE_OPTIONS_BY_APP = {
  api: '--max-old-space-size=128 --max-semi-space-size=4',
  worker: '--max-old-space-size=128',
  cli: '',
};

/** NODE_OPTIONS for an app: the operator's own when set, else the default above. */
export function nodeOptionsFor(app, env = process.env) {
  return env.NODE_OPTIONS ?? NODE_OPTIONS_BY_APP[app] ?? '';
}
