// No user input may produce a stack trace: every parser of user input gets a fixed number
// of seeded, mutated inputs (test/fuzz/targets.ts) and must load them or answer with an
// LlmtsError (the server's request validation: a 4xx ApiError). Any other exception, an
// input that runs over 10 s or a worker that dies fails the parser's test, naming the seed
// and index (reproduce with `npm run bench -- fuzz --parser NAME --seed S --index I`).
// `npm run bench -- fuzz` is the long run.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeFinding, runFuzz } from './runner.ts';
import { FUZZ_TARGETS } from './targets.ts';

const SEED = 20261206;

test('fuzz: every parser answers mutated input with LlmtsError or a result', { concurrency: 2 }, async (t) => {
  await Promise.all(FUZZ_TARGETS.map((target) =>
    t.test(target.name, async () => {
      const [r] = await runFuzz([target.name], { seed: SEED, concurrency: 1 });
      assert.equal(r!.inputs, target.testInputs, `${target.name}: ran ${r!.inputs} of ${target.testInputs} inputs`);
      assert.deepEqual(r!.findings.map(describeFinding), [], `${target.name}: exceptions other than LlmtsError`);
    })));
});
