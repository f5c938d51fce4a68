export { adminAuthFailures, BULL_BOARD_PATH, OUTBOX_CONSOLE_PATH } from './admin-access.js';
export { AdminAccessGuard } from './admin-access.guard.js';
export { mountBullBoard } from './bull-board.js';
export { OutboxConsoleController } from './outbox-console.controller.js';
