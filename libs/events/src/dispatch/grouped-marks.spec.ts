import { GroupedMarks, MAX_MARK_GROUP, type GroupedMarksOptions, type LostMark } from './grouped-marks.js';

/** A markDispatched whose UPDATEs finish only when the test says so. */
function controlledUpdates() {
  const updates: { ids: readonly string[]; finish: (error?: Error) => void }[] = [];
  const markDispatched = (ids: readonly string[]) =>
    new Promise<void>((resolve, reject) => updates.push({ ids, finish: (error) => (error ? reject(error) : resolve()) }));
  return { updates, markDispatched };
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** GroupedMarks over controlled UPDATEs, recording what it reports lost. */
function setUp(options: Partial<GroupedMarksOptions> = {}) {
  const { updates, markDispatched } = controlledUpdates();
  const lost: { ids: number; reason: LostMark; error?: unknown }[] = [];
  const marks = new GroupedMarks(markDispatched, {
    backlogLimit: 100_000,
    intervalMs: 0,
    onLost: (count, reason, error) => lost.push({ ids: count, reason, ...(error ? { error } : {}) }),
    ...options,
  });
  return { marks, updates, lost };
}

describe(GroupedMarks.name, () => {
  it('sends the UPDATE of an idle instance before mark() returns', () => {
    const { marks, updates } = setUp();
    void marks.mark(['a', 'b']);
    expect(updates.map((update) => update.ids)).toEqual([['a', 'b']]);
    updates[0]!.finish();
  });

  it('runs one UPDATE at a time and sends the ids that arrived meanwhile together in the next', async () => {
    const { marks, updates } = setUp();
    const settled: string[] = [];
    const first = marks.mark(['a']).then((marked) => settled.push(`a:${marked}`));
    const second = marks.mark(['b', 'c']).then((marked) => settled.push(`b:${marked}`));
    const third = marks.mark(['d']).then((marked) => settled.push(`d:${marked}`));
    await nextTurn();
    expect(updates.map((update) => update.ids)).toEqual([['a']]);

    updates[0]!.finish();
    await first;
    await nextTurn();
    expect(settled).toEqual(['a:true']);
    expect(updates.map((update) => update.ids)).toEqual([['a'], ['b', 'c', 'd']]);

    updates[1]!.finish();
    await Promise.all([second, third]);
    expect(settled).toEqual(['a:true', 'b:true', 'd:true']);
  });

  it('resolves every mark of a failed UPDATE false, reports its ids lost, and goes on with the next group', async () => {
    const { marks, updates, lost } = setUp();
    const first = marks.mark(['a']);
    const second = marks.mark(['b']);
    const third = marks.mark(['c', 'd']);
    updates[0]!.finish();
    expect(await first).toBe(true);
    await nextTurn();
    const outage = new Error('Postgres went away');
    updates[1]!.finish(outage);
    expect(await second).toBe(false);
    expect(await third).toBe(false);
    expect(lost).toEqual([{ ids: 3, reason: 'update_failed', error: outage }]);

    const fourth = marks.mark(['e']);
    expect(updates[2]!.ids).toEqual(['e']);
    updates[2]!.finish();
    expect(await fourth).toBe(true);
  });

  it('drops a mark that does not fit in the backlog at once, reports it, and keeps the ones that fit', async () => {
    const { marks, updates, lost } = setUp({ backlogLimit: 10 });
    const underWay = marks.mark(ids('u', 8)); // sent at once: not part of the backlog
    const waiting = marks.mark(ids('w', 6));
    expect(await marks.mark(ids('x', 5))).toBe(false); // 6 + 5 > 10, whatever the UPDATE under way does
    const fits = marks.mark(ids('y', 4));
    expect(lost).toEqual([{ ids: 5, reason: 'backlog_full' }]);
    expect(marks.pending).toBe(8 + 6 + 4);

    updates[0]!.finish();
    await nextTurn();
    expect(updates[1]!.ids).toEqual([...ids('w', 6), ...ids('y', 4)]);
    updates[1]!.finish();
    expect(await Promise.all([underWay, waiting, fits])).toEqual([true, true, true]);
    expect(marks.pending).toBe(0);
  });

  it('waits out the interval after an UPDATE before the next, and sends the ids of that time in one', async () => {
    const pauses: { ms: number; end: () => void }[] = [];
    const pause = (ms: number) => new Promise<void>((end) => pauses.push({ ms, end }));
    const { marks, updates } = setUp({ intervalMs: 60_000, pause });
    const first = marks.mark(['a']);
    const second = marks.mark(['b']);
    updates[0]!.finish();
    await first;
    await nextTurn();
    expect(pauses).toHaveLength(1);
    expect(pauses[0]!.ms).toBeGreaterThan(0);
    expect(pauses[0]!.ms).toBeLessThanOrEqual(60_000);
    const third = marks.mark(['c']);
    await nextTurn();
    const fourth = marks.mark(['d']);
    expect(updates).toHaveLength(1);

    pauses[0]!.end();
    await nextTurn();
    expect(updates.map((update) => update.ids)).toEqual([['a'], ['b', 'c', 'd']]);
    updates[1]!.finish();
    expect(await Promise.all([second, third, fourth])).toEqual([true, true, true]);
  });

  it(`keeps each UPDATE within ${MAX_MARK_GROUP} ids, whole marks only`, async () => {
    const { marks, updates } = setUp();
    const pending = [marks.mark(['first']), marks.mark(ids('x', 3000)), marks.mark(ids('y', 3000)), marks.mark(ids('z', 10))];
    await nextTurn();
    updates[0]!.finish();
    await nextTurn();
    expect(updates[1]!.ids).toHaveLength(3000);
    updates[1]!.finish();
    await nextTurn();
    expect(updates[2]!.ids).toHaveLength(3010);
    updates[2]!.finish();
    await Promise.all(pending);
    expect(updates).toHaveLength(3);
  });

  it('sends no UPDATE for nothing', async () => {
    const { marks, updates } = setUp();
    expect(await marks.mark([])).toBe(true);
    expect(updates).toHaveLength(0);
  });
});
