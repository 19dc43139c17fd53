/**
 * Reads what the layering test checks: the layer table of docs/architecture.md and every
 * relative import of every TypeScript file under src/ (static imports, `export ... from`,
 * `import type` and dynamic `import()`; text in comments and strings is not an import).
 *
 * @example
 * const layers = parseLayerTable(readFileSync('docs/architecture.md', 'utf8'));
 * const imports = readImports('src');   // [{ from: 'src/io/load-model.ts', to: 'src/io/checkpoint.ts', typeOnly: false }, ...]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

/** One row of the layer table. */
export interface LayerRow {
  /** The layer's name (first column), e.g. 'train / eval'. */
  name: string;
  /** Its folders or files, relative to the repository root, e.g. ['src/train/', 'src/eval/']. */
  paths: string[];
  /** The 'may import' column as layer names; 'everything' gives every other layer. */
  mayImport: string[];
}

/**
 * The table under "## Layers" in the architecture doc. A row's 'may import' cell names
 * other rows, by their name or by the last folder of one of their paths (so `train`
 * and `eval` both name the row 'train / eval'); "nothing" (or "nothing of the above")
 * means none, "everything" means every row above it (the table runs bottom up).
 */
export function parseLayerTable(markdown: string): LayerRow[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layers'));
  if (!section) throw new Error('docs/architecture.md has no "## Layers" section');
  const rows = section.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
  const header = rows[0]!;
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`the layer table has no '${name}' column (header: ${header.join(' | ')})`);
    return i;
  };
  const nameCol = col('layer'), pathCol = col('folder'), importCol = col('may import');
  const body = rows.slice(2); // header and the |---| line
  const parsed = body.map((r) => ({
    name: r[nameCol]!,
    paths: [...r[pathCol]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
    cell: r[importCol]!,
  }));
  const byWord = new Map<string, string>();
  for (const r of parsed) {
    byWord.set(r.name, r.name);
    for (const part of r.name.split('/')) byWord.set(part.trim(), r.name);
    for (const p of r.paths) byWord.set(p.replace(/\/$/, '').split('/').pop()!.replace(/\.ts$/, ''), r.name);
  }
  return parsed.map((r) => {
    let mayImport: string[];
    if (/^everything/.test(r.cell)) mayImport = parsed.slice(0, parsed.indexOf(r)).map((x) => x.name);
    else if (/^nothing/.test(r.cell)) mayImport = [];
    else {
      mayImport = r.cell.split(',').map((w) => w.trim()).filter(Boolean).map((w) => {
        const layer = byWord.get(w);
        if (!layer) throw new Error(`layer table, row '${r.name}': '${w}' in 'may import' names no layer`);
        return layer;
      });
    }
    return { name: r.name, paths: r.paths, mayImport };
  });
}

/** Every layer a row may import: the named rows and, through them, what those may import. */
export function allowedImports(rows: readonly LayerRow[]): Map<string, Set<string>> {
  const direct = new Map(rows.map((r) => [r.name, r.mayImport]));
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const seen = new Set<string>();
    const stack = [...r.mayImport];
    while (stack.length) {
      const l = stack.pop()!;
      if (seen.has(l)) continue;
      seen.add(l);
      stack.push(...(direct.get(l) ?? []));
    }
    out.set(r.name, seen);
  }
  return out;
}

/** The row a repository path belongs to (longest matching folder or file), or undefined. */
export function layerOf(rows: readonly LayerRow[], path: string): string | undefined {
  let best: { name: string; len: number } | undefined;
  for (const r of rows) {
    for (const p of r.paths) {
      const hit = p.endsWith('/') ? path.startsWith(p) : path === p;
      if (hit && (!best || p.length > best.len)) best = { name: r.name, len: p.length };
    }
  }
  return best?.name;
}

/** One import of one file. */
export interface ImportEdge {
  /** Importing file, relative to the repository root. */
  from: string;
  /** Imported file, relative to the repository root. */
  to: string;
  /** `import type` / `export type` only: no module is loaded at run time. */
  typeOnly: boolean;
}

/** TypeScript files under `dir`, as repository-relative paths. */
export function sourceFiles(root: string, dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir)).sort()) {
    const p = join(dir, name);
    if (statSync(join(root, p)).isDirectory()) out.push(...sourceFiles(root, p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of every file under `dir` (see the module comment). */
export function readImports(root: string, dir: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of sourceFiles(root, dir)) {
    const source = ts.createSourceFile(file, readFileSync(join(root, file), 'utf8'), ts.ScriptTarget.Latest, false);
    const add = (spec: string, typeOnly: boolean) => {
      if (!spec.startsWith('.')) return; // node: builtins and packages
      edges.push({ from: file, to: relative('.', normalize(join(dirname(file), spec))), typeOnly });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const c = node.importClause;
        const typeOnly = c !== undefined && (c.isTypeOnly || (!c.name && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings)
          && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((e) => e.isTypeOnly)));
        add(node.moduleSpecifier.text, typeOnly);
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        const c = node.exportClause;
        const typeOnly = node.isTypeOnly || (c !== undefined && ts.isNamedExports(c) && c.elements.length > 0 && c.elements.every((e) => e.isTypeOnly));
        add(node.moduleSpecifier.text, typeOnly);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
        add(node.arguments[0].text, false);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return edges;
}

/** Strongly connected components of more than one node (or a node with an edge to itself): the cycles of a graph. */
export function cycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>(), low = new Map<string, number>();
  const stack: string[] = [], onStack = new Set<string>();
  const out: string[][] = [];
  let next = 0;
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || edges.get(v)?.has(v)) out.push(comp.sort());
    }
  };
  for (const v of [...edges.keys()].sort()) if (!index.has(v)) strong(v);
  return out;
}
