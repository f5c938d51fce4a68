import { jest } from '@jest/globals';
import { READY_TIMEOUT_MS } from './app-process.js';

// Tiers that start the built apps or the CLI as processes (integration, e2e, fault, privacy): a test's or hook's own bound must leave room
// for a start-up on a loaded machine (READY_TIMEOUT_MS) and the work after it. Jest reads `testTimeout` from the
// global configuration only, so the process tiers set theirs here (setupFilesAfterEnv in jest.config.mjs).
jest.setTimeout(2 * READY_TIMEOUT_MS);
