// Test helper (not a test file): a real `llmts serve` server over stories260K on an
// ephemeral 127.0.0.1 port, with an official `openai` client pointed at it.
import OpenAI from 'openai';
import { ChatTemplate } from '../../src/infer/chat-template.ts';
import { InferenceEngine, type EngineOptions } from '../../src/infer/scheduler.ts';
import { loadModel } from '../../src/io/load-model.ts';
import { createServer, type ServeOptions } from '../../src/serve/server.ts';

export const MODEL_DIR = 'data/llama2c-stories260k';
export const MODEL_ID = 'stories260K';
export const loaded = loadModel(`${MODEL_DIR}/stories260K.bin`, `${MODEL_DIR}/tok512.bin`);

export interface TestServer {
  url: string;
  engine: InferenceEngine;
  logs: string[];
  client(opts?: { apiKey?: string; maxRetries?: number }): OpenAI;
  close(): Promise<void>;
}

/** Starts a server; `serve` overrides ServeOptions fields, `engine` the engine's limits. */
export async function startServer(serve: Partial<Omit<ServeOptions, 'engine' | 'tokenizer'>> = {}, engineOpts: EngineOptions = {}): Promise<TestServer> {
  const engine = new InferenceEngine(loaded.model, loaded.tokenizer, engineOpts);
  const logs: string[] = [];
  const app = await createServer({
    engine, tokenizer: loaded.tokenizer, template: ChatTemplate.chatml(), modelId: MODEL_ID, log: (l) => logs.push(l), ...serve,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: address,
    engine,
    logs,
    client: (o = {}) => new OpenAI({ baseURL: `${address}/v1`, apiKey: o.apiKey ?? 'unused', maxRetries: o.maxRetries ?? 0, timeout: 30_000 }),
    close: async () => {
      const closing = app.close();
      // the fetch behind the openai client may hold an idle socket it opened after an abort
      // (no request on it yet), which a graceful close would wait for (~4 s)
      app.server.closeAllConnections();
      await closing;
      await engine.close();
    },
  };
}

/** Polls `cond` every 5 ms until it holds or `ms` pass; returns whether it held. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return cond();
}
