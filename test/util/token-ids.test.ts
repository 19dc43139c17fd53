import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LlmtsError } from '../../src/util/errors.ts';
import { checkTokenIds, findBadTokenId, tokenIdMessage } from '../../src/util/token-ids.ts';

test('findBadTokenId: the first id that is not an integer in [0, V), with its position', () => {
  assert.equal(findBadTokenId([0, 5, 64], 65), undefined);
  assert.deepEqual(findBadTokenId([0, 65, -1], 65), { id: 65, index: 1 });
  assert.deepEqual(findBadTokenId([3, -1], 65), { id: -1, index: 1 });
  assert.deepEqual(findBadTokenId([1.5], 65), { id: 1.5, index: 0 });
  assert.deepEqual(findBadTokenId(Int32Array.from([2, 99]), 65), { id: 99, index: 1 });
});

test('checkTokenIds: one LlmtsError naming the id, its position, the vocabulary size and the fix', () => {
  assert.doesNotThrow(() => checkTokenIds([1, 2], 3, { where: 'prompt', hint: 'h' }));
  assert.throws(() => checkTokenIds([1, 7], 3, { what: 'prompt id', where: 'prompt', hint: 'encode the prompt with the tokenizer of this model' }), (e: unknown) =>
    e instanceof LlmtsError && e.code === 'E_PROMPT' && e.message.includes("prompt id 7 (position 1) is outside the model's vocabulary of 3 ids"));
  assert.equal(tokenIdMessage({ id: 9, index: 0 }, 5, 'id', 'the vocabulary'), 'id 9 (position 0) is outside the vocabulary of 5 ids');
});
