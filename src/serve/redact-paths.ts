/**
 * Keeps absolute server paths out of HTTP responses. A path is shown relative to the
 * server's working directory when it lies inside it, else by its last name only:
 *
 *   /home/ann/proj/runs/x/data   (server started in /home/ann/proj)  -> runs/x/data
 *   /tmp/llmts-ui-abc/runs        (outside it)                       -> runs
 *
 * `redactPaths` does this for every absolute path in a JSON value (a run's config, its
 * metrics records), including paths inside free text such as an error message.
 *
 * @example
 * redactPaths({ data: '/srv/corpus/shards', note: 'saved to /srv/runs/a/step-5.' }, '/srv')
 * // { data: 'corpus/shards', note: 'saved to runs/a/step-5.' }
 */
import { basename, isAbsolute, relative } from 'node:path';

/** `p` as a client may see it: relative to `base` when inside it, else its last name; relative paths as they are. */
export function publicPath(p: string, base: string = process.cwd()): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(base, p);
  if (rel === '') return '.';
  if (rel !== '..' && !rel.startsWith('../') && !isAbsolute(rel)) return rel;
  return basename(p) || '.';
}

/**
 * An absolute POSIX path inside text: a '/' (not '//', as in a URL) at the start or after a
 * space, quote, bracket, '=' or ','; up to the next space, quote, bracket or comma.
 */
const PATH_IN_TEXT = /(^|[\s'"`([{=,])(\/(?!\/)[^\s'"`()[\]{},]*)/g;

/** `text` with every absolute path in it replaced by its public form (a trailing '.' or ':' stays punctuation). */
export function redactPathsInText(text: string, base: string = process.cwd()): string {
  if (isAbsolute(text) && !/[\s,]/.test(text)) return publicPath(text, base); // a whole-string path (also a Windows one)
  return text.replace(PATH_IN_TEXT, (_m, before: string, path: string) => {
    const tail = /[.:;]+$/.exec(path)?.[0] ?? '';
    const bare = path.slice(0, path.length - tail.length);
    return `${before}${bare === '' ? '' : publicPath(bare, base)}${tail}`;
  });
}

/** A copy of a JSON value with every string passed through {@link redactPathsInText}. */
export function redactPaths<T>(value: T, base: string = process.cwd()): T {
  if (typeof value === 'string') return redactPathsInText(value, base) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => redactPaths(v, base)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactPaths(v, base)])) as T;
  }
  return value;
}
