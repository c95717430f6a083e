import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary } from '../../../bench/macro/summary.js';
import { parseOptions } from '../../../bench/options.js';
import { type BenchReport, renderMarkdown } from '../../../bench/report.js';

const options = parseOptions(['--quick'], {});

function report(summaries: Summary[]): BenchReport {
  return {
    startedAt: '2026-11-27T02:46:50.487Z',
    finishedAt: '2026-11-27T03:02:14.000Z',
    options: { ...options, variants: [] },
    meta: {
      node: 'v20.20.2',
      cpus: '2 × AMD EPYC',
      kernel: '6.18.44-fc-v669',
      commit: 'aef6f51',
      tools: {},
      load: { start: [0.1, 0, 0], end: [4.5, 3.5, 2] },
    },
    targets: [],
    macro: undefined,
    summaries,
    connectionCosts: [],
    goals: [],
    micro: [],
  };
}

const nodeHttp: Summary = {
  variant: '1core-64-keepalive',
  target: 'node-http',
  reps: 3,
  rps: 84_255,
  p50Ms: 0.7,
  p99Ms: 1.5,
  errors: 0,
  cpuPerRequestUs: 11.73,
  coresBusy: 0.99,
  othersCoresBusy: 0,
};

const speedLine = (markdown: string) =>
  markdown.split('\n').find((line) => line.startsWith('- machine speed:'));

test('the header gives the machine speed as the bare node:http CPU per keep-alive request on one core', () => {
  const twoCores: Summary = { ...nodeHttp, variant: '2core-64-keepalive', cpuPerRequestUs: 30 };
  assert.equal(
    speedLine(renderMarkdown(report([twoCores, nodeHttp]), options)),
    '- machine speed: a bare node:http server cost 11.7 µs of CPU per keep-alive request on one core ' +
      '(the goals were set where it cost about 27 µs; the goals in absolute time move with it)',
  );
});

test('without a node-http run at 1 core the header says the machine speed was not measured', () => {
  assert.equal(
    speedLine(renderMarkdown(report([]), options)),
    '- machine speed: not measured (no node-http run at 1 core, 64 keep-alive connections)',
  );
});

test('the mode line names the part a run was limited to', () => {
  const modeLine = (markdown: string) => markdown.split('\n').find((line) => line.startsWith('- mode:'));
  assert.match(modeLine(renderMarkdown(report([]), options)) ?? '', /^- mode: quick — /);
  const scaleOnly = parseOptions(['--only', 'scale'], {});
  assert.match(modeLine(renderMarkdown(report([]), scaleOnly)) ?? '', /^- mode: full \(scale only\) — /);
  const noScale = parseOptions(['--skip-scale'], {});
  assert.match(
    modeLine(renderMarkdown(report([]), noScale)) ?? '',
    /^- mode: full \(without the scale rows\) — /,
  );
});
