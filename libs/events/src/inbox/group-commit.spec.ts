import { GroupCommit } from './group-commit.js';

/** A write the test finishes by hand: every call is recorded with the items it carried. */
class ManualWrites {
  readonly calls: { items: readonly string[]; finish: () => void; fail: (error: Error) => void }[] = [];
  readonly write = (items: readonly string[]) =>
    new Promise<void>((finish, fail) => {
      this.calls.push({ items, finish, fail });
    });
  get groups(): (readonly string[])[] {
    return this.calls.map((call) => call.items);
  }
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether a promise has settled yet, and how. */
function track(promise: Promise<void>): { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } {
  const tracked: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  promise.then(
    () => (tracked.state = 'resolved'),
    (error: unknown) => Object.assign(tracked, { state: 'rejected', error }),
  );
  return tracked;
}

describe(GroupCommit.name, () => {
  it('writes a lone item at once, alone', () => {
    const writes = new ManualWrites();
    const commits = new GroupCommit(writes.write);
    void commits.submit('a');
    expect(writes.groups).toEqual([['a']]); // before submit returned: no timer, no waiting for company
  });

  it('resolves a caller only once the write carrying its item committed', async () => {
    const writes = new ManualWrites();
    const commits = new GroupCommit(writes.write);
    const a = track(commits.submit('a'));
    await settle();
    expect(a.state).toBe('pending');
    writes.calls[0]!.finish();
    await settle();
    expect(a.state).toBe('resolved');
  });

  it('writes the items that arrived while a write was in flight together, in one write after it', async () => {
    const writes = new ManualWrites();
    const commits = new GroupCommit(writes.write);
    const a = track(commits.submit('a'));
    const b = track(commits.submit('b'));
    const c = track(commits.submit('c'));
    expect(writes.groups).toEqual([['a']]);
    expect(commits.waiting).toBe(2);

    writes.calls[0]!.finish();
    await settle();
    expect(writes.groups).toEqual([['a'], ['b', 'c']]);
    expect([a.state, b.state, c.state]).toEqual(['resolved', 'pending', 'pending']);

    writes.calls[1]!.finish();
    await settle();
    expect([b.state, c.state]).toEqual(['resolved', 'resolved']);
    expect(commits.waiting).toBe(0);
  });

  it('rejects every member of a failed write with its error, and writes the next group anyway', async () => {
    const writes = new ManualWrites();
    const commits = new GroupCommit(writes.write);
    void commits.submit('a');
    const b = track(commits.submit('b'));
    const c = track(commits.submit('c'));
    writes.calls[0]!.finish();
    await settle();
    const d = track(commits.submit('d')); // arrives while the group of b and c is in flight

    const failure = new Error('connection lost');
    writes.calls[1]!.fail(failure);
    await settle();
    expect([b, c].map((member) => member.state)).toEqual(['rejected', 'rejected']);
    expect([b.error, c.error]).toEqual([failure, failure]);
    expect(writes.groups).toEqual([['a'], ['b', 'c'], ['d']]);

    writes.calls[2]!.finish();
    await settle();
    expect(d.state).toBe('resolved');
  });

  it('rejects the members of a write that throws before it returns a promise', async () => {
    const commits = new GroupCommit<string>(() => {
      throw new Error('cannot write');
    });
    await expect(commits.submit('a')).rejects.toThrow('cannot write');
    await expect(commits.submit('b')).rejects.toThrow('cannot write'); // and it is not stuck "in flight"
  });

  it('carries at most maxGroup items per write', async () => {
    const writes = new ManualWrites();
    const commits = new GroupCommit(writes.write, 2);
    for (const item of ['a', 'b', 'c', 'd', 'e']) void commits.submit(item);
    for (let i = 0; i < 3; i++) {
      writes.calls[i]!.finish();
      await settle();
    }
    expect(writes.groups).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });
});
