/**
 * One-way layers and the line budget, checked on the source itself. The layer table in
 * docs/architecture.md is the only statement of which layer may import which: this test
 * parses it, so changing the rules means changing the doc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allowedImports, cycles, layerOf, parseLayerTable, readImports, sourceFiles, type LayerRow } from './imports.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rows = parseLayerTable(readFileSync(join(root, 'docs/architecture.md'), 'utf8'));
const edges = readImports(root, 'src');
const LINE_BUDGET = 600;

test('the layer table parses: every layer has a folder, and the table itself has no cycle', () => {
  assert.ok(rows.length >= 10, `only ${rows.length} rows parsed`);
  for (const r of rows) assert.ok(r.paths.length > 0, `row '${r.name}' names no folder`);
  const graph = new Map(rows.map((r) => [r.name, new Set(r.mayImport)]));
  assert.deepEqual(cycles(graph), [], 'the layer table allows a cycle');
});

test('every file under src/ belongs to a layer of the table', () => {
  const orphans = sourceFiles(root, 'src').filter((f) => layerOf(rows, f) === undefined);
  assert.deepEqual(orphans, [], 'add these folders to the layer table in docs/architecture.md');
});

test('every import in src/ runs the way the layer table allows', () => {
  const allowed = allowedImports(rows);
  const bad: string[] = [];
  for (const e of edges) {
    const from = layerOf(rows, e.from), to = layerOf(rows, e.to);
    if (from === undefined) continue; // reported by the test above
    if (to === undefined) bad.push(`${e.from} imports ${e.to}, which no layer holds`);
    else if (from !== to && !allowed.get(from)!.has(to)) bad.push(`${e.from} (${from}) imports ${e.to} (${to}); ${from} may import: ${describe(rows, allowed, from)}`);
  }
  assert.deepEqual(bad, [], `imports against the layer table in docs/architecture.md:\n${bad.join('\n')}`);
});

test('no import cycle between layers', () => {
  const graph = new Map<string, Set<string>>();
  const why = new Map<string, string>();
  for (const e of edges) {
    const from = layerOf(rows, e.from), to = layerOf(rows, e.to);
    if (from === undefined || to === undefined || from === to) continue;
    if (!graph.has(from)) graph.set(from, new Set());
    graph.get(from)!.add(to);
    if (!why.has(`${from}>${to}`)) why.set(`${from}>${to}`, `${e.from} -> ${e.to}`);
  }
  const found = cycles(graph).map((c) => `${c.join(' <-> ')}: ${[...why].filter(([k]) => c.includes(k.split('>')[0]!) && c.includes(k.split('>')[1]!)).map(([, v]) => v).join('; ')}`);
  assert.deepEqual(found, []);
});

test('no import cycle between files in src/ (imports that load a module at run time)', () => {
  const graph = new Map<string, Set<string>>();
  for (const e of edges.filter((x) => !x.typeOnly)) {
    if (!graph.has(e.from)) graph.set(e.from, new Set());
    graph.get(e.from)!.add(e.to);
  }
  assert.deepEqual(cycles(graph), []);
});

test(`line budget: no source file in src/ is over ${LINE_BUDGET} lines`, () => {
  const over = sourceFiles(root, 'src')
    .map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length - 1] as const)
    .filter(([, n]) => n > LINE_BUDGET)
    .map(([f, n]) => `${f}: ${n} lines`);
  assert.deepEqual(over, [], 'split these files by concept');
});

test('the checks can fail: a made-up import against the table and a made-up cycle are caught', () => {
  const allowed = allowedImports(rows);
  const util = layerOf(rows, 'src/util/errors.ts')!, cli = layerOf(rows, 'src/cli/main.ts')!;
  assert.ok(allowed.get(cli)!.has(util), 'cli may import util');
  assert.ok(!allowed.get(util)!.has(cli), 'util may not import cli');
  assert.deepEqual(cycles(new Map([['a', new Set(['b'])], ['b', new Set(['c'])], ['c', new Set(['a'])], ['d', new Set(['a'])]])), [['a', 'b', 'c']]);
  const table = parseLayerTable('## Layers\n| layer | folder | owns | may import |\n|---|---|---|---|\n| low | `src/low/` | x | nothing |\n| high | `src/high/` | y | low |\n');
  assert.deepEqual(table.map((r) => [r.name, r.mayImport]), [['low', []], ['high', ['low']]]);
});

function describe(table: readonly LayerRow[], allowed: Map<string, Set<string>>, layer: string): string {
  const names = [...allowed.get(layer)!];
  return names.length ? table.filter((r) => names.includes(r.name)).map((r) => r.name).join(', ') : 'nothing';
}
