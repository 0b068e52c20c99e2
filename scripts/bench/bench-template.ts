/** The template the benchmarks start cases from: two working stages and two fields, no automations. */
export const BENCH_TEMPLATE = {
  key: 'perf-bench',
  name: 'Perf bench',
  prefix: 'PB',
  fields: [
    { key: 'note', type: 'text' },
    { key: 'counter', type: 'number' },
  ],
  stages: [{ key: 'open' }, { key: 'working' }, { key: 'done', terminal: true }],
};
