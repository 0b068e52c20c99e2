import { AnswerBatches, contiguousRuns } from '../../api/answer-batches';
import type { CommandResult } from '../../domain/case-view';

/** An answer whose events are `seqs` and whose view is the case right after the last of them. */
function answer(seqs: number[], extra: Partial<CommandResult> = {}): CommandResult {
  const lastSeq = seqs[seqs.length - 1] ?? 0;
  return {
    case: { id: 'AB-1', lastSeq, title: `after ${lastSeq}` },
    events: seqs.map((seq) => ({ seq, type: 'comment.added', at: '2026-12-02T00:00:00.000Z', stage: 'open', actor: { kind: 'user', id: 'u' }, data: {} })),
    project: true,
    ...extra,
  } as unknown as CommandResult;
}
const seqsOf = (a: CommandResult) => a.events.map((e) => e.seq);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('contiguousRuns', () => {
  test('answers that follow each other are one, with the view of the last', () => {
    const runs = contiguousRuns([answer([4]), answer([5, 6]), answer([7])]);
    expect(runs.map(seqsOf)).toEqual([[4, 5, 6, 7]]);
    expect(runs[0]!.case.lastSeq).toBe(7);
  });

  test('answered out of order, they are put back in the order the case applied them', () => {
    expect(contiguousRuns([answer([6]), answer([4]), answer([5])]).map(seqsOf)).toEqual([[4, 5, 6]]);
  });

  test("a gap (the case's own events) splits them; nothing to write is left out", () => {
    const runs = contiguousRuns([answer([4]), answer([5]), answer([8, 9]), answer([10], { project: false }), answer([]), answer([11])]);
    expect(runs.map(seqsOf)).toEqual([[4, 5], [8, 9], [11]]);
  });

  test('an answer whose view is past its own events (the case moved on in between) ends a run', () => {
    const moved = { ...answer([4]), case: { ...answer([4]).case, lastSeq: 5 } } as CommandResult;
    expect(contiguousRuns([moved, answer([5])]).map(seqsOf)).toEqual([[4], [5]]);
  });
});

describe('AnswerBatches', () => {
  function recorder(outcomes: boolean[] = []) {
    const writes: number[][] = [];
    const left: string[] = [];
    let release: () => void = () => undefined;
    let hold: Promise<void> | undefined;
    const batches = new AnswerBatches(
      async (_caseKey, run) => {
        writes.push(seqsOf(run));
        if (hold) await hold;
        return outcomes.shift() ?? true;
      },
      async (caseKey) => {
        left.push(caseKey);
      },
      30,
    );
    return {
      batches,
      writes,
      left,
      holdWrites() {
        hold = new Promise((r) => (release = r));
      },
      releaseWrites() {
        hold = undefined;
        release();
      },
    };
  }

  test('answers of a case within the window are written once, as one; another case on its own', async () => {
    const r = recorder();
    r.batches.add('AB-1', answer([2]));
    r.batches.add('AB-2', answer([7]));
    r.batches.add('AB-1', answer([3]));
    expect(r.writes).toEqual([]);
    await sleep(60);
    expect(r.writes.sort()).toEqual([[2, 3], [7]]);
    expect(r.batches.pending).toBe(0);
  });

  test('an answer after the window is a write of its own', async () => {
    const r = recorder();
    r.batches.add('AB-1', answer([2]));
    await sleep(60);
    r.batches.add('AB-1', answer([3]));
    await sleep(60);
    expect(r.writes).toEqual([[2], [3]]);
  });

  test('one write of a case at a time: answers during a write follow it, in order', async () => {
    const r = recorder();
    r.holdWrites();
    r.batches.add('AB-1', answer([2]));
    await sleep(45);
    r.batches.add('AB-1', answer([3]));
    r.batches.add('AB-1', answer([4]));
    await sleep(60);
    expect(r.writes).toEqual([[2]]);
    r.releaseWrites();
    await sleep(60);
    expect(r.writes).toEqual([[2], [3, 4]]);
  });

  test('a run the read model refused is left to the case, at once, and the rest of the batch with it', async () => {
    const r = recorder([false]);
    r.batches.add('AB-1', answer([2]));
    r.batches.add('AB-1', answer([5]));
    await sleep(60);
    expect(r.writes).toEqual([[2]]);
    expect(r.left).toEqual(['AB-1']);
  });

  test('flush writes what is held without waiting for the window', async () => {
    const r = recorder();
    r.batches.add('AB-1', answer([2]));
    r.batches.add('AB-3', answer([9]));
    await r.batches.flush();
    expect(r.writes.sort()).toEqual([[2], [9]]);
    expect(r.batches.pending).toBe(0);
  });

  test('how far a case was written is told only to a case that takes it, and only once written', async () => {
    const r = recorder([true, true, false]);
    // A run that does not say it takes `written` (older code) is never sent it.
    r.batches.add('AB-1', answer([2]));
    await r.batches.flush();
    expect(r.batches.writtenThrough('AB-1')).toBeUndefined();
    // Once it says so, what this process wrote (its answers held meanwhile not yet); a write the read model refused moves nothing.
    r.batches.add('AB-1', answer([3, 4], { takesWritten: true }));
    expect(r.batches.writtenThrough('AB-1')).toBe(2);
    await r.batches.flush();
    expect(r.batches.writtenThrough('AB-1')).toBe(4);
    r.batches.add('AB-1', answer([5], { takesWritten: true }));
    await r.batches.flush();
    expect(r.left).toEqual(['AB-1']);
    expect(r.batches.writtenThrough('AB-1')).toBe(4);
    // A start's opening, written by the caller itself, counts too; an older write never moves it back.
    r.batches.noteWrite('AB-2', answer([1, 2, 3], { takesWritten: true }));
    r.batches.noteWrite('AB-2', answer([2]));
    expect(r.batches.writtenThrough('AB-2')).toBe(3);
  });

  test('answers the read model has nothing to do with are not held', async () => {
    const r = recorder();
    r.batches.add('AB-1', answer([2], { project: false }));
    r.batches.add('AB-1', answer([]));
    expect(r.batches.pending).toBe(0);
    await r.batches.flush();
    expect(r.writes).toEqual([]);
  });
});
