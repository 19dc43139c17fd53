/**
 * Chat fine-tuning data (`llmts finetune --task sft`): conversations read from
 * - JSON lines, one conversation a line: `{"messages": [{"role": "user", "content": "..."}, ...]}`
 *   (TRL's conversational format), or Alpaca-style `{"instruction", "input", "output"}`;
 * - a JSON array of such records (e.g. instruct-rasbt's instruction-data.json).
 * An Alpaca record becomes a user turn (the instruction, then the input after a blank line
 * when there is one) and an assistant turn (the output). Every conversation must hold at
 * least one assistant turn (else there is nothing to learn). A bad record is an `E_DATA`
 * error naming the file and its line (JSONL) or index (array).
 *
 * @example
 * const convs = readConversations('data/chat.jsonl'); // [{ messages: [...], where: 'data/chat.jsonl:1' }, ...]
 */
import { dataError, jsonlRecords, readDataFile } from './record-file.ts';
import { LlmtsError } from '../util/errors.ts';

/** One turn of a conversation. */
export interface Turn {
  role: string;
  content: string;
}

/** One conversation and where it came from ("file:line" or "file[index]"). */
export interface Conversation {
  messages: Turn[];
  where: string;
}

const FORMAT_HINT = 'each record is {"messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}]} or {"instruction": "...", "input": "...", "output": "..."}';

/** One record (a parsed JSON value) -> a conversation; see the module comment. */
export function toConversation(record: unknown, where: string): Conversation {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) throw dataError(where, 'the record is not a JSON object', FORMAT_HINT);
  const r = record as Record<string, unknown>;
  if ('messages' in r) {
    if (!Array.isArray(r.messages) || r.messages.length === 0) throw dataError(where, '"messages" must be a non-empty list', FORMAT_HINT);
    const messages = r.messages.map((m: unknown, i): Turn => {
      const t = m as Record<string, unknown> | null;
      if (typeof t !== 'object' || t === null || typeof t.role !== 'string' || t.role === '' || typeof t.content !== 'string') {
        throw dataError(where, `messages[${i}] needs a string "role" and a string "content"`, FORMAT_HINT);
      }
      return { role: t.role, content: t.content };
    });
    if (!messages.some((m) => m.role === 'assistant')) throw dataError(where, 'the conversation has no assistant turn (nothing to learn)', 'add an {"role": "assistant", ...} message');
    return { messages, where };
  }
  if ('instruction' in r || 'output' in r) {
    const { instruction, input, output } = r;
    if (typeof instruction !== 'string' || instruction === '') throw dataError(where, '"instruction" must be a non-empty string', FORMAT_HINT);
    if (input !== undefined && input !== null && typeof input !== 'string') throw dataError(where, '"input" must be a string', FORMAT_HINT);
    if (typeof output !== 'string') throw dataError(where, '"output" must be a string', FORMAT_HINT);
    const user = typeof input === 'string' && input !== '' ? `${instruction}\n\n${input}` : instruction;
    return { messages: [{ role: 'user', content: user }, { role: 'assistant', content: output }], where };
  }
  throw dataError(where, 'the record has neither "messages" nor "instruction"/"output"', FORMAT_HINT);
}

/** Conversations of a JSONL file or a JSON array file given its text; `file` is named in errors. */
export function parseConversations(text: string, file: string): Conversation[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(text);
    } catch (err) {
      throw new LlmtsError('E_DATA', `${file}: not valid JSON (${(err as Error).message})`, { where: file, hint: 'a JSON array of records, or one JSON record a line (.jsonl)', cause: err });
    }
    if (!Array.isArray(arr)) throw dataError(file, 'expected a JSON array of records', FORMAT_HINT);
    return arr.map((rec, i) => toConversation(rec, `${file}[${i}]`));
  }
  return jsonlRecords(text, file, toConversation);
}

/** Reads the conversations of each file in order; a file with none is an E_DATA error. */
export function readConversations(files: readonly string[]): Conversation[] {
  const all: Conversation[] = [];
  for (const file of files) {
    const text = readDataFile(file, 'pass a readable .jsonl or .json file');
    const convs = parseConversations(text, file);
    if (convs.length === 0) throw dataError(file, 'holds no conversation', FORMAT_HINT);
    all.push(...convs);
  }
  return all;
}
