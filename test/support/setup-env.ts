// Quiet, test-mode defaults for every test file; a test can still override them.
process.env.NODE_ENV = 'test';
process.env.LOG_LEVEL ??= 'silent';
