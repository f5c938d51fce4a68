import {
  deriveJobId,
  InvalidJobPayloadError,
  isJobName,
  JobName,
  jobPayloadSchemas,
  jobQueue,
  parseJob,
  QueueName,
} from './job-contract.js';

const validData = {
  eventId: '01938a8e-7c00-7000-8000-000000000001',
  userId: '01938a8e-7c00-7000-8000-000000000002',
  correlationId: 'req-42',
};

/** The error parseJob throws, so its problems can be inspected. */
function parseError(name: string, data: unknown): InvalidJobPayloadError {
  try {
    parseJob(name, data);
  } catch (error) {
    if (error instanceof InvalidJobPayloadError) return error;
    throw error;
  }
  throw new Error('parseJob accepted the job');
}

describe(parseJob.name, () => {
  it.each(Object.values(JobName))('accepts valid data for %s', (name) => {
    expect(parseJob(name, validData)).toEqual({ name, data: validData });
  });

  it('rejects an unknown job name', () => {
    const error = parseError('send-spam', validData);

    expect(error.jobName).toBe('send-spam');
    expect(error.problems).toEqual(['unknown job name "send-spam"']);
  });

  it.each(['eventId', 'userId', 'correlationId'] as const)('rejects data without %s and names it', (field) => {
    const { [field]: _omitted, ...data } = validData;

    const error = parseError(JobName.SendWelcomeEmail, data);

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${field}: `));
    expect(error.message).toContain(field);
  });

  it('rejects extra fields and names them', () => {
    const error = parseError(JobName.SendVerificationEmail, { ...validData, email: 'ada@example.com' });

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain('email');
  });

  it.each(['eventId', 'userId'] as const)('rejects a non-uuid %s', (field) => {
    const error = parseError(JobName.SendVerificationEmail, { ...validData, [field]: 'not-a-uuid' });

    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(new RegExp(`^${field}: `));
  });

  it('rejects an empty correlationId and one over 128 characters', () => {
    expect(parseError(JobName.SendVerificationEmail, { ...validData, correlationId: '' }).problems[0]).toMatch(/^correlationId: /);
    expect(parseError(JobName.SendVerificationEmail, { ...validData, correlationId: 'c'.repeat(129) }).problems[0]).toMatch(
      /^correlationId: /,
    );
  });

  it.each([null, 'a string', 42, []])('rejects data that is not an object (%j)', (data) => {
    expect(parseError(JobName.SendVerificationEmail, data).problems[0]).toMatch(/^\(data\): /);
  });

  it('lists every problem at once', () => {
    const error = parseError(JobName.SendWelcomeEmail, { eventId: 'x', extra: 1 });

    expect(error.problems.length).toBeGreaterThanOrEqual(3);
    expect(error.message).toMatch(/eventId/);
    expect(error.message).toMatch(/userId/);
    expect(error.message).toMatch(/extra/);
  });
});

describe(deriveJobId.name, () => {
  it('is deterministic for the same saga and event', () => {
    expect(deriveJobId('welcome-email-on-verification', validData.eventId)).toBe(
      deriveJobId('welcome-email-on-verification', validData.eventId),
    );
  });

  it('differs between sagas and between events', () => {
    const id = deriveJobId('saga-a', validData.eventId);

    expect(deriveJobId('saga-b', validData.eventId)).not.toBe(id);
    expect(deriveJobId('saga-a', validData.userId)).not.toBe(id);
  });

  it('contains no ":"', () => {
    expect(deriveJobId('welcome-email-on-verification', validData.eventId)).not.toContain(':');
  });

  it('throws when the saga name or event id contains ":"', () => {
    expect(() => deriveJobId('bad:saga', validData.eventId)).toThrow(/not allowed/);
    expect(() => deriveJobId('saga', 'event:1')).toThrow(/not allowed/);
  });
});

describe(isJobName.name, () => {
  it('knows every JobName and nothing else', () => {
    for (const name of Object.values(JobName)) expect(isJobName(name)).toBe(true);
    expect(isJobName('SendWelcomeEmail')).toBe(false);
    expect(isJobName('')).toBe(false);
  });
});

describe('JobName', () => {
  it.each(Object.values(JobName))('%s has a known queue and a schema', (name) => {
    expect(Object.values(QueueName)).toContain(jobQueue[name]);
    expect(jobPayloadSchemas[name]).toBeDefined();
  });

  it('has no queue or schema entry without a JobName', () => {
    expect(Object.keys(jobQueue).sort()).toEqual(Object.values(JobName).sort());
    expect(Object.keys(jobPayloadSchemas).sort()).toEqual(Object.values(JobName).sort());
  });
});
