/**
 * The README's walkthrough runs top to bottom exactly as written: its shell commands (the sh blocks
 * of "A walkthrough with curl" and "Deadlines and automations"), extracted from README.md, run in
 * order in bash against `npm start`. Each curl must answer 2xx, or the status its `# → NNN` comment
 * says; every other command must exit 0. Only the token line (`TOKEN=cot_…`) is the test's own.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ctrlC, npmStart, npmStartEnv, type NpmStart } from '../support/npm-start';

const root = path.resolve(__dirname, '../..');
const SECTIONS = ['## A walkthrough with curl', '## Deadlines and automations'];

interface Step {
  command: string;
  /** The HTTP status the README says it answers (`# → 409`), else any 2xx. */
  status?: number;
  /** Types of the sample events the README shows in its answer (`{"type":"stage.exited",…}`): the answer must have them. */
  events: string[];
}

/** The commands of the sections' sh blocks (lines joined until bash can parse them), `# → NNN` comments read as the expected status. */
function walkthroughSteps(readme: string): Step[] {
  const steps: Step[] = [];
  const sections = readme.split(/^(?=## )/m).filter((s) => SECTIONS.some((title) => s.startsWith(`${title}\n`)));
  for (const section of sections) {
    for (const block of section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
      let pending = '';
      for (const line of block[1]!.split('\n')) {
        const expected = /^#\s*→\s*(\d{3})\b/.exec(line.trim());
        const last = steps[steps.length - 1];
        if (expected && last && !pending) last.status = Number(expected[1]);
        if (line.trim().startsWith('#') && last && !pending) last.events.push(...[...line.matchAll(/\{"type":"([^"]+)"/g)].map((m) => m[1]!));
        if (line.trim().startsWith('#') || (!pending && line.trim() === '')) continue;
        pending += `${line}\n`;
        // Complete once bash can parse it (a quoted JSON body may span lines).
        if (!line.endsWith('\\') && spawnSync('bash', ['-n', '-c', pending]).status === 0) {
          steps.push({ command: pending.trim(), events: [] });
          pending = '';
        }
      }
    }
  }
  return steps;
}

let dataDir: string;
let running: NpmStart | undefined;
let temporalAddress: string;

beforeAll(async () => {
  const started = await npmStartEnv('readme');
  ({ dataDir, temporalAddress } = started);
  running = await npmStart(started.env);
}, 600_000);

afterAll(async () => {
  if (running) await ctrlC(running);
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the walkthrough is extracted whole', () => {
  const steps = walkthroughSteps(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  expect(steps.length).toBeGreaterThanOrEqual(12);
  expect(steps.find((s) => s.command.includes('"to":"review"'))?.status).toBe(409);
  expect(steps.flatMap((s) => s.events)).toEqual(expect.arrayContaining(['stage.exited', 'stage.entered']));
});

test('the README walkthrough runs top to bottom as written', async () => {
  const steps = walkthroughSteps(fs.readFileSync(path.join(root, 'README.md'), 'utf8'));
  const prelude = [
    `export API=${running!.api} TOKEN=${running!.token} TEMPORAL_ADDRESS=${temporalAddress}`,
    // Every curl prints its status on a last line of its own.
    `curl() { command curl -w '\\n%{http_code}' "$@"; }`,
  ];
  // Assignments (`auth=(…)`) stay in effect for the commands after them, as in a reader's shell.
  const assignments: string[] = [];
  for (const step of steps) {
    // The token line is the one thing a reader fills in from npm start's banner.
    if (step.command.includes('cot_…')) continue;
    const { stdout } = await promisify(execFile)('bash', ['-c', [...prelude, ...assignments, step.command].join('\n')], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { code?: number; stdout?: string; stderr?: string }) => {
      throw new Error(`README command failed (exit ${String(err.code)}):\n${step.command}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
    if (/^(export\s+)?[A-Za-z_]\w*=/.test(step.command)) assignments.push(step.command);
    if (!/^\s*curl\b/.test(step.command)) continue;
    const status = Number(stdout.trimEnd().split('\n').pop());
    const ok = step.status !== undefined ? status === step.status : status >= 200 && status < 300;
    if (!ok) throw new Error(`README command answered ${status}${step.status ? ` (the README says ${step.status})` : ''}:\n${step.command}\n${stdout.slice(0, 2000)}`);
    if (step.events.length > 0) {
      const answered = (JSON.parse(stdout.trimEnd().split('\n').slice(0, -1).join('\n')) as { events?: Array<{ type: string }> }).events?.map((e) => e.type) ?? [];
      expect([step.command, answered]).toEqual([step.command, expect.arrayContaining(step.events)]);
    }
  }
}, 300_000);
