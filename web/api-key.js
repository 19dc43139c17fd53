/* global localStorage */
/**
 * The API key of `llmts serve --api-key`, shared by the pages: kept in this browser
 * (localStorage, so the chat page and the dashboard both have it) and sent as a Bearer
 * token with every request a page makes to /v1 or /api. Without storage (disabled) the
 * key lasts for the page.
 */
const STORAGE_KEY = 'llmts.apiKey';

let current = '';
try {
  current = localStorage.getItem(STORAGE_KEY) ?? '';
} catch {
  // storage disabled: no saved key
}

/** The key the user gave ('' when none). */
export function apiKey() {
  return current;
}

/** Keeps `key` (trimmed; '' forgets it) for this page and, when storage allows, this browser. */
export function setApiKey(key) {
  current = key.trim();
  try {
    if (current) localStorage.setItem(STORAGE_KEY, current);
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    // storage disabled: the key lasts for this page only
  }
}

/** `headers` plus the Authorization header when a key is set. */
export function withApiKey(headers = {}) {
  return current ? { ...headers, authorization: `Bearer ${current}` } : { ...headers };
}
