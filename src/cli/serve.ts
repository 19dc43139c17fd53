/**
 * `llmts serve`: the OpenAI-compatible HTTP API and the web UI over one model.
 *
 *   llmts serve --model data/llama2c-stories260k/stories260K.bin --tokenizer data/llama2c-stories260k/tok512.bin
 *   curl http://127.0.0.1:8080/v1/completions -H 'Content-Type: application/json' -d '{"prompt": "Once upon a time", "max_tokens": 32}'
 */
import { basename, extname } from 'node:path';
import { ChatTemplate } from '../infer/chat-template.ts';
import { InferenceEngine } from '../infer/scheduler.ts';
import { quantizeFlag } from '../io/load-model.ts';
import { describeTaskModel, loadTaskModel } from '../tasks/model-kind.ts';
import { createServer } from '../serve/server.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_TOKENS } from '../serve/limits.ts';
import { LlmtsError } from '../util/errors.ts';
import { numberFlag, parseFlags } from './flags.ts';

const HELP = `usage: llmts serve --model M [--tokenizer T] [options]

Serves the model over HTTP: the OpenAI API under /v1 (models, completions, chat
completions, embeddings; streaming as server-sent events), the task routes
(/v1/tasks/summarize, translate, classify, sentiment, embed), GET /health, and the web
UI at / (chat, task tabs, training dashboard). Each route runs where the model can: a
language model generates and embeds; an encoder (BERT) embeds and, with a classification
head, classifies; an encoder-decoder (BART) summarises, translates and embeds; a
classifier directory or Tree-LSTM classifies. One access-log line per request on stderr.
Ctrl-C (SIGINT) or SIGTERM stops it: no new requests, running ones get up to 10 s.

options:
  --model M              a checkpoint or run directory, a llama2.c .bin, a .gguf, a
                         classifier directory (finetune --task classify) or a Tree-LSTM
  --tokenizer T          tokenizer name or file (llama2.c: its tokenizer.bin, e.g. tok512.bin)
  --adapter A            a LoRA adapter directory (peft format) merged into the model
  --quantize Q           q8_0 | bf16: decode with Q8_0 / bf16 copies of the weights
                         (default: a Q8_0 / BF16 GGUF's own format, else fp32)
  --model-id NAME        the model's name in /v1/models (default: the model file's name)
  --model-alias NAME     another name requests may give as "model" (repeat for several);
                         any other name is a 404 model_not_found
  --chat-template T      'chatml', a tokenizer_config.json or a .jinja file
                         (default: the model's chat_template, else ChatML)
  --host H               address to listen on (default 127.0.0.1; 0.0.0.0 = every interface)
  --port P               port (default 8080; 0 = any free port)
  --api-key K            require 'Authorization: Bearer K' on everything but the web
                         pages: /v1/*, /health, the dashboard's /api/* (default: open);
                         the pages ask for the key and keep it in the browser
  --runs DIR             training runs for the dashboard (default: ./runs)
  --max-batch N          sequences decoded together (default 8)
  --max-queue N          requests waiting for a slot; more get 429 + Retry-After (default 64)
  --context-shift        past the context, slide the KV cache (keep --keep sink tokens, drop
                         half of the rest) and go on, instead of finishing with 'length'
                         (RoPE models; raise --max-tokens-limit to let requests use it)
  --keep N               sink tokens kept by --context-shift (default 4)
  --max-tokens-limit N   largest max_tokens a request may ask for (default: the context length)
  --default-max-tokens N new tokens when a request gives no max_tokens (default ${DEFAULT_MAX_TOKENS})
  --body-limit BYTES     largest request body; larger get 413 (default ${DEFAULT_BODY_LIMIT})
  --quiet                no access log
  -h, --help             this help`;

/** Why the server could not listen, as an E_LISTEN error with the fix (a busy port, a privileged port, an unknown host). */
function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  const where = `--host ${host} --port ${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new LlmtsError('E_LISTEN', `port ${port} on ${host} is already in use (another llmts serve, or another server, listens there)`, {
        where, hint: 'stop the other server, or pick another port: --port 8081, or --port 0 for any free one', cause: err,
      });
    case 'EACCES':
      return new LlmtsError('E_LISTEN', `no permission to listen on port ${port} on ${host} (ports below 1024 need privileges)`, {
        where, hint: 'use a port from 1024 up, e.g. --port 8080', cause: err,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new LlmtsError('E_LISTEN', `cannot listen on ${host}: not an address of this machine`, {
        where: '--host', hint: 'use 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its own addresses', cause: err,
      });
    default:
      return err;
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('serve', argv, {
    model: { type: 'string' }, tokenizer: { type: 'string' }, adapter: { type: 'string' }, quantize: { type: 'string' }, 'model-id': { type: 'string' }, 'model-alias': { type: 'string', multiple: true },
    'chat-template': { type: 'string' }, host: { type: 'string' }, port: { type: 'string' }, 'api-key': { type: 'string' }, runs: { type: 'string' },
    'max-batch': { type: 'string' }, 'max-queue': { type: 'string' }, 'max-tokens-limit': { type: 'string' }, 'context-shift': { type: 'boolean' }, keep: { type: 'string' },
    'default-max-tokens': { type: 'string' }, 'body-limit': { type: 'string' }, quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new LlmtsError('E_USAGE', 'llmts serve needs --model', { where: '--model', hint: 'pass a checkpoint directory or a llama2.c .bin' });
  if (values['api-key'] !== undefined && values['api-key'].trim() === '') {
    throw new LlmtsError('E_USAGE', '--api-key is empty', { where: '--api-key', hint: 'give a non-empty key, or leave the flag out for an open server' });
  }
  const port = numberFlag(values.port, '--port', 8080, { int: true, min: 0, max: 65535 });
  const host = values.host ?? '127.0.0.1';
  const positive = { int: true, min: 1 };
  const maxBatch = numberFlag(values['max-batch'], '--max-batch', 8, positive);
  const maxQueue = numberFlag(values['max-queue'], '--max-queue', 64, { int: true, min: 0 });
  const limits = {
    maxTokens: numberFlag(values['max-tokens-limit'], '--max-tokens-limit', undefined, positive),
    defaultMaxTokens: numberFlag(values['default-max-tokens'], '--default-max-tokens', DEFAULT_MAX_TOKENS, positive),
    bodyLimit: numberFlag(values['body-limit'], '--body-limit', DEFAULT_BODY_LIMIT, positive),
  };

  const task = loadTaskModel(values.model, { tokenizer: values.tokenizer, adapter: values.adapter, quantize: quantizeFlag(values.quantize) });
  if (task.kind !== 'decoder' && values['chat-template'] !== undefined) {
    throw new LlmtsError('E_FLAG', `--chat-template is for language models; ${values.model} does not generate text`, { where: '--chat-template', hint: 'leave --chat-template out' });
  }
  // a language model gets the generation engine; other kinds serve the task routes only
  const generation = task.kind === 'decoder' ? {
    engine: new InferenceEngine(task.model, task.tokenizer, { maxBatch, maxQueue, contextShift: values['context-shift'] ? { keep: numberFlag(values.keep, '--keep', undefined, { int: true, min: 0 }) } : null }),
    tokenizer: task.tokenizer,
    template: values['chat-template'] ? ChatTemplate.fromFile(values['chat-template'], task.tokenizer) : ChatTemplate.forModel(values.model, task.tokenizer),
  } : {};
  const engine = generation.engine;
  const modelId = values['model-id'] ?? basename(task.path, extname(task.path));
  const app = await createServer({
    ...generation, task, modelId, modelAliases: values['model-alias'], apiKey: values['api-key'], runsDir: values.runs, limits,
    log: values.quiet ? undefined : (line) => console.error(line),
  });
  let address: string;
  try {
    address = await app.listen({ host, port });
  } catch (err) {
    await app.close();
    await engine?.close();
    throw listenError(err, host, port);
  }
  const what = engine ? `context ${engine.contextLength}` : `${describeTaskModel(task)}: task routes only`;
  console.log(`llmts serve: ${modelId} (${what}) at ${address}  (API: ${address}/v1, UI: ${address}/)`);
  if (host !== '127.0.0.1' && host !== 'localhost' && values['api-key'] === undefined) {
    console.error(`llmts serve: listening on ${host} without --api-key: anyone who can reach this address can use the model`);
  }

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) {
        console.error(`llmts serve: ${signal} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      console.error(`llmts serve: ${signal}, finishing running requests (up to 10 s; ${signal} again to exit now)`);
      const grace = setTimeout(() => { // stop what still runs, and drop idle keep-alive sockets that hold the close
        void engine?.close();
        app.server.closeAllConnections();
      }, 10_000);
      app.close().then(() => engine?.close()).finally(() => {
        clearTimeout(grace);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  console.error('llmts serve: stopped');
  return 0;
}
