import { z } from 'zod';
import { defineJob } from '../definition/job-definition.js';
import type { DeclaredJobHandler, HandledJob } from '../definition/job-handler.js';
import { defineQueue } from '../definition/queue-definition.js';
import { defineScheduledJob } from '../definition/scheduled-job.js';
import { JobHandlerRegistryError, pairHandlers } from './handler-pairing.js';
import { JobRegistry } from './job-registry.js';

const queue = defineQueue({ name: 'things' });
const shipThing = defineJob({ name: 'ship-thing', queue, data: { thingId: z.uuid() } });
const wrapThing = defineJob({ name: 'wrap-thing', queue, data: { thingId: z.uuid() } });
const sweepThings = defineScheduledJob({ name: 'sweep-things', queue, everyMs: () => 60_000 });
const handlerOf = (job: HandledJob, declaredAt = `Things.${job.name}`): DeclaredJobHandler => ({ job, method: job.name, declaredAt });

/** The registry of these queued jobs and these handlers, paired. */
const pair = (queued: HandledJob[], handlers: DeclaredJobHandler[]) => pairHandlers(JobRegistry.of(queued, handlers), handlers);

describe(pairHandlers.name, () => {
  it('pairs every job the reactions queue, and every scheduled job, with its one handler', () => {
    const handlers = [handlerOf(shipThing), handlerOf(wrapThing), handlerOf(sweepThings)];
    expect(pair([shipThing, wrapThing], handlers).map(({ job, handler }) => [job.name, handler.declaredAt])).toEqual([
      ['ship-thing', 'Things.ship-thing'],
      ['sweep-things', 'Things.sweep-things'],
      ['wrap-thing', 'Things.wrap-thing'],
    ]);
  });

  it('refuses a queued job without a handler, naming the job and its queue', () => {
    expect(() => pair([shipThing, wrapThing], [handlerOf(shipThing)])).toThrow(/job "wrap-thing" \(queue "things"\) has no handler/);
  });

  it('refuses a job with two handlers, naming both', () => {
    expect(() => pair([shipThing], [handlerOf(shipThing, 'A.ship'), handlerOf(shipThing, 'B.ship')])).toThrow(
      /job "ship-thing" has 2 handlers: A.ship, B.ship/,
    );
  });

  it('refuses a handler for a job that no reaction queues', () => {
    expect(() => pair([shipThing], [handlerOf(shipThing), handlerOf(wrapThing)])).toThrow(
      /Things.wrap-thing handles job "wrap-thing", which no reaction queues and no schedule runs/,
    );
  });

  it('refuses a scheduled job with two handlers, naming both', () => {
    expect(() => pair([], [handlerOf(sweepThings, 'A.sweep'), handlerOf(sweepThings, 'B.sweep')])).toThrow(
      /scheduled job "sweep-things" has 2 handlers: A.sweep, B.sweep/,
    );
  });

  it('refuses a handler of another definition that bears the name of a registry job', () => {
    const impostor = defineJob({ name: 'ship-thing', queue, data: { other: z.string() } });
    const registry = JobRegistry.of([shipThing], []);
    expect(() => pairHandlers(registry, [handlerOf(impostor, 'X.ship')])).toThrow(JobHandlerRegistryError);
    expect(() => pairHandlers(registry, [handlerOf(impostor, 'X.ship')])).toThrow(
      /X.ship handles a different job definition named "ship-thing"/,
    );
  });
});
