import { Loader } from './loader';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('Loader', () => {
  it('goes loading, then ready with the value', async () => {
    const l = new Loader<number[]>();
    const d = deferred<number[]>();
    const done = l.run(() => d.promise);
    expect(l.status()).toBe('loading');
    d.resolve([1, 2]);
    await done;
    expect(l.status()).toBe('ready');
    expect(l.value()).toEqual([1, 2]);
  });

  it('reports empty arrays as empty', async () => {
    const l = new Loader<number[]>();
    await l.run(async () => []);
    expect(l.status()).toBe('empty');
  });

  it('uses its own emptiness test', async () => {
    const l = new Loader<{ rows: number[] }>((v) => v.rows.length === 0);
    await l.run(async () => ({ rows: [] }));
    expect(l.status()).toBe('empty');
  });

  it('keeps the error message and retries the same request', async () => {
    const l = new Loader<string>();
    let calls = 0;
    await l.run(async () => {
      calls++;
      if (calls === 1) throw new Error('503 Service Unavailable');
      return 'ok';
    });
    expect(l.status()).toBe('error');
    expect(l.error()).toBe('503 Service Unavailable');
    await l.retry();
    expect(l.status()).toBe('ready');
    expect(l.value()).toBe('ok');
    expect(calls).toBe(2);
  });

  it('drops the answer of a request overtaken by a newer one', async () => {
    const l = new Loader<string>();
    const slow = deferred<string>();
    const first = l.run(() => slow.promise);
    await l.run(async () => 'new');
    slow.resolve('old');
    await first;
    expect(l.value()).toBe('new');
    expect(l.status()).toBe('ready');
  });

  it('keeps the last value while loading the next', async () => {
    const l = new Loader<string>();
    await l.run(async () => 'first');
    const d = deferred<string>();
    const next = l.run(() => d.promise);
    expect(l.value()).toBe('first');
    d.resolve('second');
    await next;
    expect(l.value()).toBe('second');
  });
});
