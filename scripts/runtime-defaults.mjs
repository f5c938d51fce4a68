// Node flags every herald app runs with unless NODE_OPTIONS is set: the one
// place for them (scripts/run-all.mjs, the Dockerfile's ENV — checked by
// test/deploy — the benchmark and the e2e tests all use this value).
//
// The old-generation cap keeps each process under ~200 MB RSS: without it V8
// lets the heap grow lazily under load (the worker reached 334 MB during the
// relay catch-up benchmark, 182 MB with the cap, at the same throughput within
// noise). Idle, an app uses ~45 MB of old generation; 128 MB leaves headroom.
export const DEFAULT_NODE_OPTIONS = '--max-old-space-size=128';
