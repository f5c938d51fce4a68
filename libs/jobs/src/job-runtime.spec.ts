import { z } from 'zod';
import type { JobContext } from './job-context.js';
import { defineJob, defineQueue, type JobData } from './job-definition.js';
import { boundJobHandlersOf, JobHandler, type BoundJobHandler, type HandledJob } from './job-handler.js';
import { assertHandlersMatchJobs, JobHandlerRegistryError, stalledCheckInterval } from './job-runtime.js';
import { defineScheduledJob } from './scheduled-job.js';

const queue = defineQueue({ name: 'things' });
const shipThing = defineJob({ name: 'ship-thing', queue, data: { thingId: z.uuid() } });
const wrapThing = defineJob({ name: 'wrap-thing', queue, data: { thingId: z.uuid() } });
const sweepThings = defineScheduledJob({ name: 'sweep-things', queue, everyMs: () => 60_000 });
const handlerOf = (job: HandledJob, declaredAt = `Things.${job.name}`): BoundJobHandler => ({
  job,
  declaredAt,
  handle: async () => undefined,
});

describe(assertHandlersMatchJobs.name, () => {
  it('accepts one handler for every job the reactions queue', () => {
    expect(() => assertHandlersMatchJobs([shipThing, wrapThing], [handlerOf(shipThing), handlerOf(wrapThing)])).not.toThrow();
  });

  it('refuses a queued job without a handler, naming the job and its queue', () => {
    expect(() => assertHandlersMatchJobs([shipThing, wrapThing], [handlerOf(shipThing)])).toThrow(
      /job "wrap-thing" \(queue "things"\) has no handler/,
    );
  });

  it('refuses a job with two handlers, naming both', () => {
    expect(() => assertHandlersMatchJobs([shipThing], [handlerOf(shipThing, 'A.ship'), handlerOf(shipThing, 'B.ship')])).toThrow(
      /job "ship-thing" has 2 handlers: A.ship, B.ship/,
    );
  });

  it('refuses a handler for a job that no reaction queues', () => {
    expect(() => assertHandlersMatchJobs([shipThing], [handlerOf(shipThing), handlerOf(wrapThing)])).toThrow(
      /Things.wrap-thing handles job "wrap-thing", which no reaction queues and no schedule runs/,
    );
  });

  it('accepts the handler of a scheduled job, which no reaction queues: the worker schedules it itself', () => {
    expect(() => assertHandlersMatchJobs([shipThing], [handlerOf(shipThing), handlerOf(sweepThings)])).not.toThrow();
  });

  it('refuses a scheduled job with two handlers, naming both', () => {
    expect(() => assertHandlersMatchJobs([], [handlerOf(sweepThings, 'A.sweep'), handlerOf(sweepThings, 'B.sweep')])).toThrow(
      /scheduled job "sweep-things" has 2 handlers: A.sweep, B.sweep/,
    );
  });

  it('refuses a scheduled job that bears the name of a queued job', () => {
    const clash = defineScheduledJob({ name: 'ship-thing', queue, everyMs: () => 1000 });
    expect(() => assertHandlersMatchJobs([shipThing], [handlerOf(shipThing), handlerOf(clash, 'Sweeper.run')])).toThrow(
      /scheduled job "ship-thing" \(Sweeper.run\) has the name of a job reactions queue/,
    );
  });

  it('refuses a handler of another definition that bears the same name', () => {
    const impostor = defineJob({ name: 'ship-thing', queue, data: { other: z.string() } });
    expect(() => assertHandlersMatchJobs([shipThing], [handlerOf(impostor, 'X.ship')])).toThrow(JobHandlerRegistryError);
  });
});

describe(stalledCheckInterval.name, () => {
  it('checks for the jobs of dead workers every quarter lock, so they run again within ~1.25 lock durations', () => {
    expect(stalledCheckInterval(30_000)).toBe(7_500);
    expect(stalledCheckInterval(3_000)).toBe(750);
  });

  it('never checks more often than every 250 ms', () => {
    expect(stalledCheckInterval(400)).toBe(250);
  });
});

describe(JobHandler.name, () => {
  class ThingHandlers {
    readonly shipped: string[] = [];

    @JobHandler(shipThing)
    async ship(data: JobData<typeof shipThing>, context: JobContext) {
      this.shipped.push(`${data.thingId}@${context.attempt}`);
    }

    // Compile-time check: a handler whose data type is not its job's is refused.
    // @ts-expect-error -- the data type is not the job's
    @JobHandler(wrapThing)
    async wrongData(data: { parcel: number }) {
      return data.parcel;
    }
  }

  it('binds the decorated methods to their instance, with their jobs', async () => {
    const instance = new ThingHandlers();
    const [ship] = boundJobHandlersOf(instance);

    expect(ship).toMatchObject({ job: shipThing, declaredAt: 'ThingHandlers.ship' });
    await ship!.handle({ thingId: 'thing-1' }, { attempt: 2 } as JobContext);
    expect(instance.shipped).toEqual(['thing-1@2']);
  });
});
