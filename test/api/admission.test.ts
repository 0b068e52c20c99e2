import { Admission, AdmissionRefused, PerActorLimit } from '../../api/admission';

const tick = () => new Promise((r) => setImmediate(r));

describe('Admission', () => {
  test('runs up to its limit at once, queues briefly, refuses past the wait', async () => {
    const admission = new Admission(2, 50);
    const gates: Array<() => void> = [];
    const hold = () => admission.run(() => new Promise<string>((resolve) => gates.push(() => resolve('done'))));
    const a = hold();
    const b = hold();
    await tick();
    expect(admission.active).toBe(2);
    const c = hold(); // waits for a slot
    await tick();
    expect(admission.queued).toBe(1);
    gates.shift()!(); // a finishes: c takes its slot
    await expect(a).resolves.toBe('done');
    await tick();
    expect(admission.queued).toBe(0);
    expect(admission.active).toBe(2);
    const d = hold(); // nobody finishes within 50 ms
    await expect(d).rejects.toBeInstanceOf(AdmissionRefused);
    gates.splice(0).forEach((g) => g());
    await expect(Promise.all([b, c])).resolves.toEqual(['done', 'done']);
    expect(admission.active).toBe(0);
  });

  test('a failing call frees its slot', async () => {
    const admission = new Admission(1, 0);
    await expect(admission.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(admission.run(async () => 'next')).resolves.toBe('next');
  });
});

test('PerActorLimit counts each actor on its own and releases once', () => {
  const limit = new PerActorLimit(2);
  const r1 = limit.enter('ada')!;
  const r2 = limit.enter('ada')!;
  expect(limit.enter('ada')).toBeUndefined();
  expect(limit.enter('bob')).toBeDefined();
  r1();
  r1(); // a second release changes nothing
  expect(limit.enter('ada')).toBeDefined();
  expect(limit.enter('ada')).toBeUndefined();
  r2();
});
