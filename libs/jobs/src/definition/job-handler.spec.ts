import { z } from 'zod';
import type { JobContext } from '../runtime/job-context.js';
import { defineJob, type JobData } from './job-definition.js';
import { JobHandler, jobHandlersOf } from './job-handler.js';
import { defineQueue } from './queue-definition.js';

const queue = defineQueue({ name: 'things' });
const shipThing = defineJob({ name: 'ship-thing', queue, data: { thingId: z.uuid() } });
const wrapThing = defineJob({ name: 'wrap-thing', queue, data: { thingId: z.uuid() } });

describe(JobHandler.name, () => {
  class ThingHandlers {
    @JobHandler(shipThing)
    async ship(data: JobData<typeof shipThing>, context: JobContext) {
      return `${data.thingId}@${context.attempt}`;
    }

    // Compile-time check: a handler whose data type is not its job's is refused.
    // @ts-expect-error -- the data type is not the job's
    @JobHandler(wrapThing)
    async wrongData(data: { parcel: number }) {
      return data.parcel;
    }
  }

  it('records on the class which method handles which job, and where it was declared', () => {
    expect(jobHandlersOf(ThingHandlers)).toEqual([
      { job: shipThing, method: 'ship', declaredAt: 'ThingHandlers.ship' },
      { job: wrapThing, method: 'wrongData', declaredAt: 'ThingHandlers.wrongData' },
    ]);
  });

  it('finds nothing on a class without handlers', () => {
    expect(jobHandlersOf(class Plain {})).toEqual([]);
  });
});
