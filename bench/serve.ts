/**
 * `npm run bench -- serve [--seconds 60] [--clients 50] [--max-tokens 48] [--max-batch 8] [--max-queue 64]`:
 * a load test of `llmts serve` over stories260K. The server runs in a child process on
 * 127.0.0.1 (an ephemeral port) so that the clients do not share its event loop and its
 * memory can be measured alone. `--clients` concurrent clients loop until `--seconds`
 * have passed (every request also has a 30 s timeout), each request drawn from a seeded mix:
 *   30% streaming chat / completions (SSE, with include_usage),
 *   30% non-streaming chat / completions, 10% embeddings,
 *    5% streaming requests that disconnect after the first chunk (cancellation under load),
 *   25% malformed requests (bad JSON, out-of-range fields, n > 1, wrong content type,
 *      unknown URL, over the body limit, a prompt longer than the context, ...).
 * A 429 (engine full) makes that client wait its Retry-After, as the official clients do.
 * It reports requests/s, generated tokens/s, p50 / p99 latency (and time to first token
 * for streams), the server's RSS and heap after a warm-up and after the run (both after a
 * GC and a 1 s settle), and checks: the server never crashed, every well-formed request
 * got 200 (or 429 when full), every malformed one a 4xx in OpenAI's error shape, every
 * stream ended with `data: [DONE]`, and the engine was idle at the end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Rng } from '../src/util/rng.ts';

const MODEL = 'data/llama2c-stories260k/stories260K.bin';
const TOKENIZER = 'data/llama2c-stories260k/tok512.bin';
const BODY_LIMIT = 64 * 1024;

interface MemStats { rss: number; heapUsed: number; arrayBuffers: number; active: number; queued: number }
type Kind = 'stream' | 'plain' | 'embed' | 'abort' | 'malformed';

/** The child: a server that answers 'stats' messages with its memory after a GC. */
async function child(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { 'max-batch': { type: 'string' }, 'max-queue': { type: 'string' }, 'max-tokens-limit': { type: 'string' } }, strict: false });
  const [{ loadModel }, { InferenceEngine }, { ChatTemplate }, { createServer }] = await Promise.all([
    import('../src/io/load-model.ts'), import('../src/infer/scheduler.ts'), import('../src/infer/chat-template.ts'), import('../src/serve/server.ts'),
  ]);
  const { model, tokenizer } = loadModel(MODEL, TOKENIZER);
  const engine = new InferenceEngine(model, tokenizer, { maxBatch: Number(values['max-batch'] ?? 8), maxQueue: Number(values['max-queue'] ?? 64) });
  const app = await createServer({
    engine, tokenizer, template: ChatTemplate.chatml(), modelId: 'stories260K',
    limits: { bodyLimit: BODY_LIMIT, maxTokens: Number(values['max-tokens-limit'] ?? 256) },
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const gc = (globalThis as { gc?: () => void }).gc;
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'sample') {
      process.send!({ rss: process.memoryUsage.rss() });
    } else if (m.cmd === 'stats') {
      gc?.();
      setTimeout(() => {
        gc?.();
        const mu = process.memoryUsage();
        process.send!({ rss: mu.rss, heapUsed: mu.heapUsed, arrayBuffers: mu.arrayBuffers, active: engine.active, queued: engine.queued } satisfies MemStats);
      }, 1000);
    } else if (m.cmd === 'exit') {
      void app.close().then(() => engine.close()).then(() => process.exit(0));
    }
  });
  process.send!({ address });
}

/** Percentile of sorted numbers. */
function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`;

/** The malformed requests: [what, path, init]; each must get a 4xx. */
function malformed(rng: Rng): [string, string, RequestInit] {
  const json = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const cases: [string, string, RequestInit][] = [
    ['bad JSON', '/v1/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"prompt": "x", ' }],
    ['temperature 7', '/v1/completions', json({ prompt: 'Hi', temperature: 7 })],
    ['n = 3', '/v1/chat/completions', json({ messages: [{ role: 'user', content: 'Hi' }], n: 3 })],
    ['no messages', '/v1/chat/completions', json({ model: 'x' })],
    ['bad role', '/v1/chat/completions', json({ messages: [{ role: 'wizard', content: 'Hi' }] })],
    ['max_tokens over the cap', '/v1/completions', json({ prompt: 'Hi', max_tokens: 100000 })],
    ['prompt over the context', '/v1/completions', json({ prompt: 'the cat sat on the mat. '.repeat(300) })],
    ['body over the limit', '/v1/completions', json({ prompt: 'x'.repeat(BODY_LIMIT + 10) })],
    ['form content type', '/v1/completions', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'prompt=hi' }],
    ['unknown URL', '/v1/engines/davinci/completions', json({ prompt: 'Hi' })],
    ['array body', '/v1/embeddings', json([1, 2, 3])],
    ['empty embedding input', '/v1/embeddings', json({ input: '' })],
    ['stop not strings', '/v1/completions', json({ prompt: 'Hi', stop: [1, 2] })],
    ['token id out of range', '/v1/completions', json({ prompt: [1, 99999] })],
  ];
  return cases[rng.int(cases.length)]!;
}

/** Reads an SSE body; returns chunks, tokens (from the usage chunk), TTFT and whether [DONE] came. */
async function readStream(res: Response, t0: number, abortAfterFirst: AbortController | null): Promise<{ tokens: number; ttft: number; done: boolean }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '', tokens = 0, ttft = NaN, done = false;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const ev = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!ev.startsWith('data: ')) continue;
      const data = ev.slice(6);
      if (data === '[DONE]') {
        done = true;
        continue;
      }
      const obj = JSON.parse(data) as { usage?: { completion_tokens: number } | null; error?: unknown; choices?: { text?: string; delta?: { content?: string } }[] };
      if (obj.error) throw new Error(`stream error event: ${JSON.stringify(obj.error)}`);
      if (Number.isNaN(ttft) && obj.choices?.some((c) => (c.text ?? c.delta?.content ?? '') !== '')) {
        ttft = performance.now() - t0;
        if (abortAfterFirst) {
          abortAfterFirst.abort();
          return { tokens: 0, ttft, done: false };
        }
      }
      if (obj.usage) tokens = obj.usage.completion_tokens;
    }
  }
  return { tokens, ttft, done };
}

export async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return child(argv.slice(1));
  const { values } = parseArgs({
    args: argv,
    options: {
      seconds: { type: 'string' }, clients: { type: 'string' }, 'max-tokens': { type: 'string' },
      'max-batch': { type: 'string' }, 'max-queue': { type: 'string' }, seed: { type: 'string' },
    },
    strict: true,
  });
  const seconds = Number(values.seconds ?? 60), clients = Number(values.clients ?? 50), maxTokens = Number(values['max-tokens'] ?? 48);
  const seed = Number(values.seed ?? 1);
  const here = fileURLToPath(import.meta.url);
  const srv: ChildProcess = fork(here.replace(/serve\.ts$/, 'run.ts'), ['serve', '--child', '--max-batch', values['max-batch'] ?? '8', '--max-queue', values['max-queue'] ?? '64'], {
    execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let crashed: string | null = null;
  srv.on('exit', (code, signal) => { crashed ??= `server exited (code ${code}, signal ${signal})`; });
  const nextMessage = <T>(): Promise<T> => new Promise((resolve, reject) => {
    const onMessage = (m: unknown): void => {
      srv.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (): void => {
      srv.off('message', onMessage);
      reject(new Error(crashed ?? 'server exited'));
    };
    srv.once('message', onMessage);
    srv.once('exit', onExit);
  });
  const { address } = await nextMessage<{ address: string }>();
  console.log(`bench serve: server ${address} (child pid ${srv.pid}), ${clients} clients for ${seconds} s, max_tokens <= ${maxTokens}`);

  const post = (path: string, body: unknown, signal?: AbortSignal): Promise<Response> => fetch(`${address}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: signal ?? AbortSignal.timeout(30_000),
  });
  // warm-up with every engine slot busy (the KV-cache pool and buffers reach their steady size), then the baseline memory
  for (let round = 0; round < 3; round++) {
    await Promise.all(Array.from({ length: Math.min(clients, 32) }, async (_, i) => {
      const chat = i % 2 === 0;
      const body = chat ? { messages: [{ role: 'user', content: 'Once upon a time' }] } : { prompt: 'Once upon a time' };
      const res = await post(chat ? '/v1/chat/completions' : '/v1/completions', { ...body, max_tokens: maxTokens, seed: i, stream: i % 4 < 2 });
      await res.text();
      await (await post('/v1/embeddings', { input: 'a cat' })).text();
    }));
  }
  srv.send({ cmd: 'stats' });
  const before = await nextMessage<MemStats>();

  const lat: Record<Kind, number[]> = { stream: [], plain: [], embed: [], abort: [], malformed: [] };
  const ttfts: number[] = [];
  const failures: string[] = [];
  const count = { requests: 0, tokens: 0, busy429: 0, malformed4xx: 0, malformed: 0, streamsWithoutDone: 0 };
  const prompts = ['Once upon a time', 'Lily and Ben went to the park.', 'The cat', 'One day, a little bird', 'Tom had a red ball.'];
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;

  /** Waits the 429's Retry-After (as the official clients do), at most until the deadline. */
  async function backOff(res: Response): Promise<void> {
    count.busy429++;
    const wait = Math.min(Number(res.headers.get('retry-after') ?? 1) * 1000, Math.max(0, deadline - performance.now()));
    await new Promise((r) => setTimeout(r, wait));
  }

  async function client(id: number): Promise<void> {
    const rng = new Rng(seed * 1000 + id);
    while (performance.now() < deadline && !crashed) {
      const u = rng.uniform();
      const kind: Kind = u < 0.3 ? 'stream' : u < 0.6 ? 'plain' : u < 0.7 ? 'embed' : u < 0.75 ? 'abort' : 'malformed';
      const prompt = prompts[rng.int(prompts.length)]!;
      const chat = rng.uniform() < 0.5;
      const sampling = { max_tokens: 8 + rng.int(maxTokens - 7), temperature: 0.8, top_p: 0.95, seed: rng.int(1 << 30) };
      const path = chat ? '/v1/chat/completions' : '/v1/completions';
      const body = chat ? { model: 'stories260K', messages: [{ role: 'user', content: prompt }], ...sampling } : { model: 'stories260K', prompt, ...sampling };
      const start = performance.now();
      let rejected = false;
      try {
        if (kind === 'malformed') {
          const [what, p, init] = malformed(rng);
          count.malformed++;
          const res = await fetch(`${address}${p}`, { ...init, signal: AbortSignal.timeout(30_000) });
          const j = await res.json().catch(() => null) as { error?: { message?: unknown; type?: unknown } } | null;
          if (res.status >= 400 && res.status < 500 && res.status !== 429 && typeof j?.error?.message === 'string' && typeof j.error.type === 'string') count.malformed4xx++;
          else failures.push(`malformed '${what}' got ${res.status}`);
        } else if (kind === 'embed') {
          const res = await post('/v1/embeddings', { input: [prompt, 'a dog'] });
          if (res.status !== 200) failures.push(`embeddings got ${res.status}`);
          await res.json();
        } else if (kind === 'plain') {
          const res = await post(path, body);
          const j = await res.json() as { usage?: { completion_tokens: number } };
          if (res.status === 429) {
            rejected = true;
            await backOff(res);
          } else if (res.status !== 200) failures.push(`${path} got ${res.status}: ${JSON.stringify(j)}`);
          else count.tokens += j.usage!.completion_tokens;
        } else {
          const ac = kind === 'abort' ? new AbortController() : null;
          const res = await post(path, { ...body, stream: true, stream_options: { include_usage: true } }, ac ? AbortSignal.any([ac.signal, AbortSignal.timeout(30_000)]) : undefined);
          if (res.status === 429) {
            await res.body?.cancel();
            rejected = true;
            await backOff(res);
          } else if (res.status !== 200) {
            failures.push(`stream ${path} got ${res.status}`);
            await res.body?.cancel();
          } else {
            const r = await readStream(res, start, ac).catch((e: unknown) => {
              if (ac?.signal.aborted) return { tokens: 0, ttft: NaN, done: false };
              throw e;
            });
            if (!Number.isNaN(r.ttft)) ttfts.push(r.ttft);
            count.tokens += r.tokens;
            if (kind === 'stream' && !r.done) count.streamsWithoutDone++;
          }
        }
        count.requests++;
        if (!rejected) lat[kind].push(performance.now() - start); // a 429's latency would be its back-off
      } catch (e) {
        failures.push(`${kind} ${path}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  // RSS every tenth of the run (no GC): growth that goes on to the end would be a leak
  const samples: string[] = [];
  const sampler = setInterval(() => {
    srv.send({ cmd: 'sample' });
    void nextMessage<{ rss: number }>().then((m) => samples.push(`${((performance.now() - t0) / 1000).toFixed(0)} s ${mb(m.rss)}`), () => undefined);
  }, (seconds * 1000) / 10);
  await Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 100));
  const wall = (performance.now() - t0) / 1000;
  let after: MemStats | null = null;
  if (!crashed) {
    srv.send({ cmd: 'stats' });
    after = await nextMessage<MemStats>();
  }

  const all = Object.values(lat).flat().sort((a, b) => a - b);
  const line = (name: string, xs: number[]): string => {
    const s = [...xs].sort((a, b) => a - b);
    return `${name.padEnd(22)} n ${String(s.length).padStart(6)} | p50 ${pct(s, 50).toFixed(0).padStart(5)} ms | p99 ${pct(s, 99).toFixed(0).padStart(5)} ms`;
  };
  console.log(`requests: ${count.requests} in ${wall.toFixed(1)} s = ${(count.requests / wall).toFixed(1)} req/s | generated tokens: ${count.tokens} = ${(count.tokens / wall).toFixed(0)} tok/s`);
  console.log(line('all', all));
  console.log(line('streaming (total)', lat.stream));
  console.log(line('streaming (first tok)', ttfts));
  console.log(line('non-streaming', lat.plain));
  console.log(line('embeddings', lat.embed));
  console.log(line('disconnecting', lat.abort));
  console.log(line('malformed', lat.malformed));
  console.log(`malformed answered 4xx (OpenAI error shape): ${count.malformed4xx} / ${count.malformed}${count.malformed4xx === count.malformed ? ' (all)' : ' (NOT all)'}`);
  console.log(`429 (engine full): ${count.busy429} | streams without [DONE]: ${count.streamsWithoutDone} | failures: ${failures.length}`);
  for (const f of failures.slice(0, 10)) console.log(`  failure: ${f}`);
  if (after) {
    console.log(`server memory after GC + 1 s settle: RSS ${mb(before.rss)} -> ${mb(after.rss)} (${after.rss >= before.rss ? '+' : ''}${mb(after.rss - before.rss)}), ` +
      `heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)}, array buffers ${mb(before.arrayBuffers)} -> ${mb(after.arrayBuffers)} | engine at the end: active ${after.active}, queued ${after.queued}`);
    console.log(`server RSS during the run (no GC): ${samples.join(', ')}`);
  }
  console.log(`server crashed: ${crashed ? `YES (${crashed})` : 'no'}`);
  if (!crashed) {
    srv.send({ cmd: 'exit' });
    await new Promise((r) => srv.once('exit', r));
  }
  if (crashed || failures.length > 0 || count.malformed4xx !== count.malformed || count.streamsWithoutDone > 0 || (after && (after.active !== 0 || after.queued !== 0))) process.exitCode = 1;
}
