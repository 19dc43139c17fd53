/**
 * Server-sent events as OpenAI streams them: data-only events, one JSON object each,
 * ended by `data: [DONE]`.
 *
 *   data: {"id":"cmpl-1","object":"text_completion","choices":[{"text":" upon",...}]}
 *
 *   data: [DONE]
 *
 * The writer owns the raw Node response (the route has called `reply.hijack()`); it
 * waits for 'drain' when the socket buffer is full and turns every write into a no-op
 * once the client is gone.
 *
 * @example
 * const sse = new SseWriter(reply.raw);
 * await sse.send({ choices: [...] });
 * sse.done();
 */
import type { ServerResponse } from 'node:http';

export class SseWriter {
  private readonly res: ServerResponse;

  /** Writes the status line and the event-stream headers right away. */
  constructor(res: ServerResponse, headers: Record<string, string> = {}) {
    this.res = res;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      ...headers,
    });
    res.flushHeaders();
  }

  /** True once the client went away or the stream was ended. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Sends one event with `data` as JSON; resolves once the socket can take more. */
  async send(data: unknown): Promise<void> {
    await this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** Sends OpenAI's terminator `data: [DONE]` and ends the response. */
  done(): void {
    if (this.closed) return;
    this.res.end('data: [DONE]\n\n');
  }

  /** Sends an error event (OpenAI clients throw it as an APIError) and ends the response. */
  fail(body: unknown): void {
    if (this.closed) return;
    this.res.end(`data: ${JSON.stringify(body)}\n\n`);
  }

  private write(chunk: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.res.write(chunk)) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        this.res.off('drain', finish);
        this.res.off('close', finish);
        resolve();
      };
      this.res.on('drain', finish);
      this.res.on('close', finish);
    });
  }
}
