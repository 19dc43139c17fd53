/**
 * Optional Bearer API key: with a key, every request must carry `Authorization: Bearer <key>`
 * (else 401 in OpenAI's shape, code invalid_api_key): the API under /v1, /health, the
 * dashboard's /api/* and unknown URLs. Only routes marked `config: { public: true }` stay
 * open: the web UI's pages and their static files, which hold no data (the pages send
 * the key the user typed with every request they make).
 * The route is the one Fastify matched, so no spelling of a URL reaches a guarded route
 * unguarded. The key is compared in constant time (both sides hashed first, so lengths do
 * not leak).
 *
 * @example
 * app.addHook('onRequest', apiKeyHook('sk-local'));
 * app.get('/', { config: { public: true } }, servePage);
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from './errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Served without the API key (static pages and files only). */
    public?: boolean;
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** True when the route matched for `req` is guarded by the API key (every route not marked public, and unknown URLs). */
export function isGuarded(req: FastifyRequest): boolean {
  return req.routeOptions.config?.public !== true;
}

/** An onRequest hook that checks the Bearer key on every guarded route (throws a 401 ApiError). */
export function apiKeyHook(apiKey: string): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const want = digest(apiKey);
  return async (req) => {
    if (!isGuarded(req)) return;
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
