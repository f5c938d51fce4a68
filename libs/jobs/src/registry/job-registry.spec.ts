import { z } from 'zod';
import { defineJob } from '../definition/job-definition.js';
import type { DeclaredJobHandler, HandledJob } from '../definition/job-handler.js';
import { defineQueue, MaintenanceQueue } from '../definition/queue-definition.js';
import { defineScheduledJob } from '../definition/scheduled-job.js';
import { JobRegistry, JobRegistryError } from './job-registry.js';

const things = defineQueue({ name: 'things' });
const parcels = defineQueue({ name: 'parcels' });
const shipThing = defineJob({ name: 'ship-thing', queue: things, data: { thingId: z.uuid() } });
const wrapParcel = defineJob({ name: 'wrap-parcel', queue: parcels, data: { parcelId: z.uuid() } });
const sweepThings = defineScheduledJob({ name: 'sweep-things', queue: MaintenanceQueue, everyMs: () => 60_000 });
const handlerOf = (job: HandledJob): DeclaredJobHandler => ({ job, method: 'run', declaredAt: `Things.${job.name}` });

describe(JobRegistry.name, () => {
  it('lists the queues and jobs of the reactions and of the schedules, each once, sorted by name', () => {
    const registry = JobRegistry.of([wrapParcel, shipThing, shipThing], [handlerOf(shipThing), handlerOf(sweepThings)]);
    expect(registry.queueNames).toEqual(['maintenance', 'parcels', 'things']);
    expect(registry.jobNames).toEqual(['ship-thing', 'sweep-things', 'wrap-parcel']);
    expect(registry.queues).toEqual([MaintenanceQueue, parcels, things]);
  });

  it('has the maintenance queue as soon as a scheduled job is declared, though no reaction queues anything there', () => {
    expect(JobRegistry.of([], [handlerOf(sweepThings)]).queueNames).toEqual(['maintenance']);
  });

  it('takes from handlers only the scheduled jobs: a queued job is in the registry because a reaction queues it', () => {
    expect(JobRegistry.of([], [handlerOf(shipThing)]).jobNames).toEqual([]);
  });

  it('refuses two different jobs of one name, naming where', () => {
    const clash = defineScheduledJob({ name: 'ship-thing', queue: MaintenanceQueue, everyMs: () => 1000 });
    expect(() => JobRegistry.of([shipThing], [{ ...handlerOf(clash), declaredAt: 'Sweeper.run' }])).toThrow(
      /two different jobs are named "ship-thing" \(Sweeper.run\)/,
    );
  });

  it('refuses two different queues of one name: whose worker options would apply?', () => {
    const otherThings = defineQueue({ name: 'things', workerOptions: () => ({ concurrency: 1 }) });
    const wrapThing = defineJob({ name: 'wrap-thing', queue: otherThings, data: {} });
    expect(() => JobRegistry.of([shipThing, wrapThing], [])).toThrow(JobRegistryError);
    expect(() => JobRegistry.of([shipThing, wrapThing], [])).toThrow(/two different queues are named "things" \(job "wrap-thing"\)/);
  });

  it('refuses a job a reaction queues that was not made with defineJob (it has no queue options, no schema)', () => {
    expect(() => JobRegistry.of([{ name: 'bare', queue: { name: 'things' } }], [])).toThrow(
      /job "bare" is queued by a reaction but was not made with defineJob/,
    );
  });
});
