/**
 * A conversation rendered for supervised fine-tuning: the ids of the whole rendered text
 * and, per id, whether the model learns to produce it (1) or only reads it (0). The loss
 * is on the assistant turns and their end-of-turn marker only, as TRL's
 * `assistant_only_loss` (transformers' `return_assistant_tokens_mask` on a template whose
 * `{% generation %}` block holds the answer and its end marker) and nanochat's
 * `render_conversation`.
 *
 * Any template works, with no `{% generation %}` tags: assistant turn i spans from the end
 * of render(messages[:i], add_generation_prompt) to the end of the first stop string (the
 * template's end-of-turn marker, e.g. ChatML's `<|im_end|>`) after its content in
 * render(messages[:i+1]). The whole text is tokenized once (special tokens recognised, as
 * apply_chat_template does); an id is learned when it lies between the id holding a
 * span's first character and the id holding its last, transformers' char_to_token rule.
 * Characters are mapped to ids through the lengths of decoded prefixes (exact for
 * byte-level BPE; a decoder that adds or drops a prefix, as SentencePiece's dummy space,
 * is allowed for by the difference in length between the decoded ids and the text).
 *
 * @example
 * const { ids, mask } = renderForTraining(ChatTemplate.chatml(), tok, [{ role: 'user', content: 'Hi' }, { role: 'assistant', content: 'Hello' }]);
 * // mask is 1 on 'Hello<|im_end|>' and 0 on '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n' and the final '\n'
 */
import type { Tokenizer } from '../tokenizer/types.ts';
import { LlmtsError } from '../util/errors.ts';
import type { ChatMessage, ChatTemplate } from './chat-template.ts';

/** A rendered conversation: its text, ids and per-id training mask. */
export interface RenderedConversation {
  text: string;
  ids: number[];
  /** 1 where the id is learned (assistant content and end-of-turn marker), else 0. */
  mask: Uint8Array;
  /** [start, end) character spans of the learned text. */
  spans: [number, number][];
}

/** The [start, end) character spans of the assistant turns in render(messages); see the module comment. */
export function assistantSpans(template: ChatTemplate, messages: readonly ChatMessage[], where = 'conversation'): { text: string; spans: [number, number][] } {
  const text = template.render(messages);
  const spans: [number, number][] = [];
  messages.forEach((m, i) => {
    if (m.role !== 'assistant') return;
    const prompt = template.render(messages.slice(0, i), { addGenerationPrompt: true });
    const upto = template.render(messages.slice(0, i + 1));
    const contentAt = upto.indexOf(m.content, prompt.length);
    if (!upto.startsWith(prompt) || !text.startsWith(upto) || contentAt < 0) {
      throw new LlmtsError('E_CHAT_TEMPLATE', `${where}: cannot find assistant turn ${i} in the rendered conversation (the template ${template.where} does not render turns one after another)`, {
        where: template.where, hint: 'use a template whose rendering of a conversation begins with the rendering of its first turns (ChatML does), or --train-on-prompt' });
    }
    let end = upto.length;
    for (const stop of template.stop) {
      const at = upto.indexOf(stop, contentAt + m.content.length);
      if (at >= 0 && at + stop.length < end) end = at + stop.length;
    }
    if (end > prompt.length) spans.push([prompt.length, end]);
  });
  return { text, spans };
}

/** Index of the id holding character `c` of the decoded text: the least k with decode(ids[..k]).length > c. */
function idAt(tokenizer: Tokenizer, ids: readonly number[], c: number): number {
  let lo = 0, hi = ids.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokenizer.decode(ids.slice(0, mid + 1)).length > c) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Renders `messages` with `template`, tokenizes the text and marks the assistant ids
 * (every id with `trainOnPrompt`); see the module comment.
 */
export function renderForTraining(template: ChatTemplate, tokenizer: Tokenizer, messages: readonly ChatMessage[], o: { trainOnPrompt?: boolean; where?: string } = {}): RenderedConversation {
  const { text, spans } = assistantSpans(template, messages, o.where);
  const ids = tokenizer.encode(text, { allowedSpecial: 'all' });
  const mask = new Uint8Array(ids.length);
  if (o.trainOnPrompt) mask.fill(1);
  else {
    // a tokenizer whose decoding adds or drops a prefix (SentencePiece's dummy space) shifts every position alike
    const shift = tokenizer.decode(ids).length - text.length;
    for (const [s, e] of spans) {
      const first = idAt(tokenizer, ids, Math.max(0, s + shift)), last = idAt(tokenizer, ids, Math.max(0, e - 1 + shift));
      mask.fill(1, first, last + 1);
    }
  }
  return { text, ids, mask, spans };
}
