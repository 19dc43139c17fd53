// Builds the native kernels addon with node-gyp (offline: Node's own headers).
// Never fails the install: if the build fails, llm.ts runs on the reference backend
// and says so in one warning line at load time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (process.env.LLMTS_SKIP_NATIVE === '1' || !existsSync(join(root, 'binding.gyp'))) process.exit(0);

// Build against the running Node's own headers when they are installed beside it, so
// node-gyp never tries to download them (this machine's npmrc also sets nodedir).
const extra = [];
const nodeDir = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(nodeDir, 'include', 'node', 'node_api.h'))) extra.push(`--nodedir=${nodeDir}`);

const candidates = [];
if (process.env.npm_config_node_gyp) candidates.push([process.execPath, [process.env.npm_config_node_gyp]]);
candidates.push(['node-gyp', []]);
// run directly (not through npm): the node-gyp that ships with npm beside this Node
const bundled = join(nodeDir, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (existsSync(bundled)) candidates.push([process.execPath, [bundled]]);
for (const [cmd, pre] of candidates) {
  const r = spawnSync(cmd, [...pre, 'rebuild', '--release', '-j', 'max', ...extra], { cwd: root, stdio: 'inherit' });
  if (r.status === 0) process.exit(0);
  if (r.error) continue; // this node-gyp is not there: try the next one
  // a compiler without AMX flags (before GCC 11 / clang 12) fails on lowp_amx.c: build
  // everything else (the bf16/int8 kernels then use AVX512-BF16 or plain C)
  const noAmx = spawnSync(cmd, [...pre, 'rebuild', '--release', '-j', 'max', '--llmts_amx=0', ...extra], { cwd: root, stdio: 'inherit' });
  if (noAmx.status === 0) {
    console.warn('llmts: note: the native kernels were built without the AMX bf16 kernels (this compiler lacks -mamx-tile).');
    process.exit(0);
  }
}
console.warn('llmts: warning: the native kernels did not build; llm.ts will run on the slower reference backend.');
process.exit(0);
