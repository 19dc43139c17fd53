/**
 * `npm run bench -- data [--mb 200] [--rss-mb 50,200] [--threads N] [--recall-docs 300] [--keep]`:
 * throughput and peak memory of `llmts data prepare` (src/data/prepare.ts) with every
 * cleaner, filter and both dedups on, and the near-duplicate recall of the default
 * MinHash settings for heavier edits.
 *
 * Corpus: JSON lines written to a temporary folder, built from the bundled real texts
 * (tinyshakespeare, the TinyStories sample, The Verdict; see test/data/planted.ts):
 * each distinct document is 20-40 sentences drawn at random from their ~25k sentences
 * (about 2.5 KB), and after each one, with probability 0.1 each, an exact copy of a
 * recent document and a near copy (2% of words rewritten as one passage) are planted.
 *
 * Runs (each in a fresh child process, so its peak RSS - `process.resourceUsage().maxRSS`,
 * worker threads included - is its own): the `--mb` corpus on 1 thread and on all
 * threads; then all threads on each `--rss-mb` size, to show that peak RSS stays flat
 * as the corpus grows. Target (issue 6): >= 20 MB/s with all filters and dedup on 2 cores.
 *
 * Last, recall of planted near-duplicates at 5-15% edited words with the defaults
 * (5-word shingles, 128 entries, 16 bands x 8 rows, Jaccard 0.8), for the three edit
 * layouts of planted.ts, with the mean true Jaccard similarity of the variants: the
 * layouts whose true similarity falls below 0.8 are (correctly) not merged.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Deduper, DEFAULT_DEDUP } from '../src/data/dedup/dedup.ts';
import { exactJaccard, MinHasher } from '../src/data/dedup/minhash.ts';
import { docKey } from '../src/data/hash.ts';
import { normalizedWordHashes } from '../src/data/words.ts';
import { Rng } from '../src/util/rng.ts';
import { editWords, originals, sourceWords, type EditLayout } from '../test/data/planted.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Writes a JSONL corpus of about `bytes` bytes to `path`; returns what was planted. */
export async function writeCorpus(path: string, bytes: number, seed = 1): Promise<{ docs: number; exact: number; near: number }> {
  const sentences = sourceWords().flatMap((ws) => ws.join(' ').split(/(?<=[.!?])\s+/)).filter((s) => s.length > 20);
  const rng = new Rng(seed);
  const recent: string[] = [];
  const out = createWriteStream(path);
  let written = 0, docs = 0, exact = 0, near = 0;
  const emit = async (text: string): Promise<void> => {
    const line = JSON.stringify({ text }) + '\n';
    written += Buffer.byteLength(line);
    docs++;
    if (!out.write(line)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  while (written < bytes) {
    const n = 20 + rng.int(21);
    const parts: string[] = [];
    for (let k = 0; k < n; k++) parts.push(sentences[rng.int(sentences.length)]!);
    const words = parts.join(' ').split(/\s+/);
    const lines: string[] = [];
    for (let k = 0; k < words.length; k += 12) lines.push(words.slice(k, k + 12).join(' '));
    const doc = lines.join('\n');
    await emit(doc);
    recent.push(doc);
    if (recent.length > 1000) recent.shift();
    if (rng.uniform() < 0.1) { await emit(recent[rng.int(recent.length)]!); exact++; }
    if (rng.uniform() < 0.1) { await emit(editWords(recent[rng.int(recent.length)]!, 0.02, rng, 'passage')); near++; }
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { docs, exact, near };
}

interface RunResult { seconds: number; mbPerSecond: number; threads: number; rssMB: number; inMB: number; outDocs: number; exact: number; near: number; indexMB: number; cpuSeconds: number }

/** One prepare run in a child process (stats mode: everything but writing shards, then a write run for real). */
function runPrepare(corpus: string, threads: number, outDir: string): RunResult {
  const script = `
    const { prepare } = await import(${JSON.stringify(`${ROOT}src/data/prepare.ts`)});
    const r = await prepare([${JSON.stringify(corpus)}], { out: ${JSON.stringify(outDir)}, overwrite: true, threads: ${threads} });
    console.log(JSON.stringify({ seconds: r.timing.seconds, mbPerSecond: r.timing.mbPerSecond, threads: r.timing.threads,
      rssMB: process.resourceUsage().maxRSS / 1024, inMB: r.in.bytes / 1e6, outDocs: r.out.docs, exact: r.dedup.exact,
      near: r.dedup.near, indexMB: r.dedup.indexBytes / 1e6, cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 }));`;
  const p = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) throw new Error(`prepare run failed: ${p.stderr}`);
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as RunResult;
}

function recallTable(docs: number): void {
  const mh = new MinHasher({ shingle: DEFAULT_DEDUP.shingle, perms: DEFAULT_DEDUP.perms, seed: DEFAULT_DEDUP.seed, method: 'oph' });
  const base = originals(docs);
  const baseSigs = base.map((t) => mh.signature(normalizedWordHashes(t)).slice());
  const baseShingles = base.map((t) => mh.shingles(normalizedWordHashes(t)));
  console.log(`\nnear-duplicate recall, default settings (shingle ${DEFAULT_DEDUP.shingle}, ${DEFAULT_DEDUP.perms} entries, ${DEFAULT_DEDUP.bands}x${DEFAULT_DEDUP.rows} bands, Jaccard >= ${DEFAULT_DEDUP.threshold}), ${docs} 200-word documents:`);
  console.log('edited   ' + (['passage', 'phrases', 'scattered'] as EditLayout[]).map((l) => `${l.padEnd(9)} recall (true J)`.padEnd(28)).join(''));
  for (const rate of [0.01, 0.03, 0.05, 0.07, 0.1, 0.12, 0.15]) {
    const cells: string[] = [];
    for (const layout of ['passage', 'phrases', 'scattered'] as EditLayout[]) {
      const rng = new Rng(Math.round(rate * 1000));
      const d = new Deduper({ ...DEFAULT_DEDUP });
      base.forEach((t, i) => { const k = docKey(t); d.add(k.hi, k.lo, baseSigs[i]!, 0, i); });
      let hit = 0, jSum = 0;
      base.forEach((t, i) => {
        const v = editWords(t, rate, rng, layout);
        const h = normalizedWordHashes(v);
        jSum += exactJaccard(mh.shingles(h), baseShingles[i]!);
        const k = docKey(v);
        const r = d.add(k.hi, k.lo, mh.signature(h), 1, i);
        if (r.kind !== null && r.of === i) hit++;
      });
      cells.push(`${(hit / docs).toFixed(3)}     (${(jSum / docs).toFixed(3)})`.padEnd(28));
    }
    console.log(`${(rate * 100).toFixed(0).padStart(3)}%     ${cells.join('')}`);
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: {
    mb: { type: 'string' }, 'rss-mb': { type: 'string' }, threads: { type: 'string' }, 'recall-docs': { type: 'string' }, keep: { type: 'boolean' },
  } });
  const mb = Number(values.mb ?? 200);
  const rssSizes = (values['rss-mb'] ?? '50,200').split(',').map(Number);
  const threads = Number(values.threads ?? availableParallelism());
  const tmp = mkdtempSync(join(tmpdir(), 'llmts-bench-data-'));
  try {
    const sizes = [...new Set([mb, ...rssSizes])].sort((a, b) => a - b);
    const corpora = new Map<number, string>();
    for (const s of sizes) {
      const path = join(tmp, `corpus-${s}mb.jsonl`);
      const t0 = performance.now();
      const c = await writeCorpus(path, s * 1e6);
      corpora.set(s, path);
      console.log(`corpus ${s} MB: ${c.docs.toLocaleString('en-US')} docs (${c.exact.toLocaleString('en-US')} exact + ${c.near.toLocaleString('en-US')} near copies planted), ${(statSync(path).size / 1e6).toFixed(1)} MB on disk, built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    console.log(`\nllmts data prepare, every cleaner, filter and dedup on (${availableParallelism()} cores here; target >= 20 MB/s on 2 cores):`);
    console.log('(CPU s: user + system time of the whole process, all threads; MB per CPU-s shows the work per byte');
    console.log(' independently of how much of the machine the run got: on a busy machine wall-clock MB/s understates)');
    console.log('corpus    threads   seconds    MB/s   vs target   CPU s   MB per CPU-s   peak RSS   dedup index   docs out   exact / near dups');
    const row = (size: number, r: RunResult): void => console.log(
      `${`${size} MB`.padEnd(9)} ${String(r.threads).padStart(7)} ${r.seconds.toFixed(1).padStart(9)} ${r.mbPerSecond.toFixed(1).padStart(7)} ${(r.mbPerSecond / 20).toFixed(2).padStart(10)}x ${r.cpuSeconds.toFixed(1).padStart(7)} ${(r.inMB / r.cpuSeconds).toFixed(1).padStart(14)} ${`${r.rssMB.toFixed(0)} MB`.padStart(10)} ${`${r.indexMB.toFixed(1)} MB`.padStart(13)} ${r.outDocs.toLocaleString('en-US').padStart(10)}   ${r.exact.toLocaleString('en-US')} / ${r.near.toLocaleString('en-US')}`);
    const results = new Map<string, RunResult>();
    for (const t of [...new Set([1, threads])]) {
      const r = runPrepare(corpora.get(mb)!, t, join(tmp, 'out'));
      results.set(`${mb}:${t}`, r);
      row(mb, r);
    }
    for (const s of rssSizes) {
      if (results.has(`${s}:${threads}`)) continue;
      const r = runPrepare(corpora.get(s)!, threads, join(tmp, 'out'));
      results.set(`${s}:${threads}`, r);
      row(s, r);
    }
    const rss = rssSizes.map((s) => results.get(`${s}:${threads}`)!);
    if (rss.length >= 2) {
      console.log(`peak RSS ${rssSizes.join(' MB -> ')} MB corpus (${threads} threads): ${rss.map((r) => `${r.rssMB.toFixed(0)} MB`).join(' -> ')} `
        + `(x${(rss[rss.length - 1]!.rssMB / rss[0]!.rssMB).toFixed(2)} for x${(rssSizes[rssSizes.length - 1]! / rssSizes[0]!).toFixed(1)} the data; dedup index ${rss.map((r) => `${r.indexMB.toFixed(1)} MB`).join(' -> ')})`);
    }
    recallTable(Number(values['recall-docs'] ?? 300));
  } finally {
    if (!values.keep) rmSync(tmp, { recursive: true, force: true });
    else console.log(`corpora kept in ${tmp}`);
  }
}
