import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { historiesDir } from '../support/histories';
import { testWorkflowBundle } from '../support/workflow-bundle';

// Recorded runs of caseWorkflow (regenerate with RECORD_HISTORIES=1 npm test). Replaying them
// through the current code fails with a DeterminismViolationError when a change would break
// running cases; guard such changes with patched() instead.
const files = fs.readdirSync(historiesDir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThanOrEqual(2);
});

test.each(files)('replays %s deterministically', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(historiesDir, file), 'utf8'));
  await Worker.runReplayHistory({ workflowBundle: await testWorkflowBundle() }, history, `replay-${file}`);
});
