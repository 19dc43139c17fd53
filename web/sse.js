/**
 * Server-sent events over fetch: yields the `data:` payload of each event of a response body
 * (a ReadableStream of bytes), in order. The caller stops at `[DONE]` or when the body ends;
 * aborting the fetch makes the pending read reject with an AbortError.
 *
 * @example
 * for await (const data of readSse(res.body)) { if (data === '[DONE]') break; use(JSON.parse(data)); }
 */
export async function* readSse(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  let heldCr = ''; // a '\r' that ended a read: it may be the first half of '\r\n'
  let finished = false;
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) {
        finished = true;
        break;
      }
      let text = heldCr + decoder.decode(value, { stream: true });
      heldCr = text.endsWith('\r') ? '\r' : '';
      if (heldCr) text = text.slice(0, -1);
      buf += text.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) yield data;
      }
    }
  } finally {
    // the consumer left early (break at [DONE], an error): let the server know we are gone
    if (!finished) reader.cancel().catch(() => {});
  }
}
