import { GroupedMarks, MAX_MARK_GROUP } from './grouped-marks.js';

/** A markDispatched whose UPDATEs finish only when the test says so. */
function controlledUpdates() {
  const updates: { ids: readonly string[]; finish: (error?: Error) => void }[] = [];
  const markDispatched = (ids: readonly string[]) =>
    new Promise<void>((resolve, reject) => updates.push({ ids, finish: (error) => (error ? reject(error) : resolve()) }));
  return { updates, markDispatched };
}
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe(GroupedMarks.name, () => {
  it('runs one UPDATE at a time and sends the ids that arrived meanwhile together in the next', async () => {
    const { updates, markDispatched } = controlledUpdates();
    const marks = new GroupedMarks(markDispatched);
    const settled: string[] = [];
    const first = marks.mark(['a']).then(() => settled.push('a'));
    const second = marks.mark(['b', 'c']).then(() => settled.push('b'));
    const third = marks.mark(['d']).then(() => settled.push('d'));
    await nextTurn();
    expect(updates.map((update) => update.ids)).toEqual([['a']]);

    updates[0]!.finish();
    await first;
    await nextTurn();
    expect(settled).toEqual(['a']);
    expect(updates.map((update) => update.ids)).toEqual([['a'], ['b', 'c', 'd']]);

    updates[1]!.finish();
    await Promise.all([second, third]);
    expect(settled).toEqual(['a', 'b', 'd']);
  });

  it('rejects every mark of a failed UPDATE, and goes on with the next group', async () => {
    const { updates, markDispatched } = controlledUpdates();
    const marks = new GroupedMarks(markDispatched);
    const first = marks.mark(['a']);
    const second = marks.mark(['b']);
    const third = marks.mark(['c']);
    await nextTurn();
    updates[0]!.finish();
    await first;
    await nextTurn();
    updates[1]!.finish(new Error('Postgres went away'));
    await expect(second).rejects.toThrow('Postgres went away');
    await expect(third).rejects.toThrow('Postgres went away');

    const fourth = marks.mark(['d']);
    await nextTurn();
    expect(updates[2]!.ids).toEqual(['d']);
    updates[2]!.finish();
    await fourth;
  });

  it(`keeps each UPDATE within ${MAX_MARK_GROUP} ids, whole marks only`, async () => {
    const { updates, markDispatched } = controlledUpdates();
    const marks = new GroupedMarks(markDispatched);
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
    const { updates, markDispatched } = controlledUpdates();
    await new GroupedMarks(markDispatched).mark([]);
    expect(updates).toHaveLength(0);
  });
});
