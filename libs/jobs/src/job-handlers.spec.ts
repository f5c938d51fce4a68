import { JobName, QueueName } from './job-contract.js';
import { assertEveryJobHasOneHandler, MissingJobHandlerError, type QueueProcessor } from './job-handlers.js';

const handle = async () => 'ok';

const completeEmailProcessor = (): QueueProcessor => ({
  queue: QueueName.Email,
  handlers: {
    [JobName.SendVerificationEmail]: handle,
    [JobName.SendWelcomeEmail]: handle,
    [JobName.SendAccountExistsNotice]: handle,
  },
});

/** The error thrown for a registry, so its message can be inspected. */
function registryError(processors: QueueProcessor[]): MissingJobHandlerError {
  try {
    assertEveryJobHasOneHandler(processors);
  } catch (error) {
    if (error instanceof MissingJobHandlerError) return error;
    throw error;
  }
  throw new Error('the registry was accepted');
}

describe(assertEveryJobHasOneHandler.name, () => {
  it('passes for a complete registry', () => {
    expect(() => assertEveryJobHasOneHandler([completeEmailProcessor()])).not.toThrow();
  });

  it('throws MissingJobHandlerError naming a job without a handler', () => {
    const { [JobName.SendWelcomeEmail]: _removed, ...handlers } = completeEmailProcessor().handlers;

    const error = registryError([{ queue: QueueName.Email, handlers }]);

    expect(error.message).toContain(`job "${JobName.SendWelcomeEmail}" has no handler`);
    expect(error.message).not.toContain(JobName.SendVerificationEmail);
  });

  it('names every job when there is no processor at all', () => {
    const error = registryError([]);

    for (const name of Object.values(JobName)) expect(error.message).toContain(`job "${name}" has no handler`);
  });

  it('throws for a job with two handlers', () => {
    const error = registryError([completeEmailProcessor(), { queue: QueueName.Email, handlers: { [JobName.SendWelcomeEmail]: handle } }]);

    expect(error.message).toContain(`job "${JobName.SendWelcomeEmail}" has 2 handlers`);
  });

  it('throws for a handler on the wrong queue', () => {
    const wrongQueue = { ...completeEmailProcessor(), queue: 'reports' } as unknown as QueueProcessor;

    const error = registryError([wrongQueue]);

    expect(error.message).toContain(
      `job "${JobName.SendVerificationEmail}" is handled on queue "reports" but belongs to "${QueueName.Email}"`,
    );
  });

  it('throws for a handler of an unknown job', () => {
    const processor = completeEmailProcessor();
    const withUnknown = { ...processor, handlers: { ...processor.handlers, 'send-spam': handle } } as QueueProcessor;

    expect(registryError([withUnknown]).message).toContain('handler for unknown job "send-spam"');
  });
});
