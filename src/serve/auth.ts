/**
 * Optional Bearer API key for /v1/*: requests must carry `Authorization: Bearer <key>`,
 * else 401 in OpenAI's shape (code invalid_api_key). /health and the web UI stay open.
 * The key is compared in constant time (both sides hashed first, so lengths do not leak).
 *
 * @example
 * app.addHook('onRequest', apiKeyHook('sk-local'));
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** True when `path` (no query) is guarded by the API key. */
export function isApiPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

/** An onRequest hook that checks the Bearer key on /v1/* (throws a 401 ApiError). */
export function apiKeyHook(apiKey: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const want = digest(apiKey);
  return async (req) => {
    if (!isApiPath(req.url.split('?')[0]!)) return;
    const header = req.headers.authorization;
    if (header === undefined || header === '') {
      throw new ApiError(401, "You didn't provide an API key. Send it in an Authorization header using Bearer auth (Authorization: Bearer YOUR_KEY); it is the key given to llmts serve --api-key.", {
        code: 'invalid_api_key', headers: { 'www-authenticate': 'Bearer' },
      });
    }
    const m = /^Bearer\s+(.+)$/i.exec(header);
    if (!m || !timingSafeEqual(digest(m[1]!.trim()), want)) {
      throw new ApiError(401, 'Incorrect API key provided. Use the key given to llmts serve --api-key.', {
        code: 'invalid_api_key', headers: { 'www-authenticate': 'Bearer' },
      });
    }
  };
}
