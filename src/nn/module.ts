/**
 * `Module`: the base of every layer. A module owns named parameters and named
 * submodules, registered in its constructor; their order gives stable dotted names
 * (`h.0.attn.c_attn.weight`) for `namedParameters()` and `stateDict()`.
 *
 * Surgery, for fine-tuning: `freeze` / `unfreeze` parameters by name pattern (a glob:
 * `*` within one dotted segment, `**` across segments; or a RegExp), `trainableParameters`
 * and `numTrainableParameters`, `getModule` / `replaceModule` by dotted path (LoRA wraps a
 * `Linear` this way), and `loadStateDict` strict or partial, naming every missing and
 * unexpected key.
 *
 * @example
 * class Affine extends Module {
 *   readonly weight = this.addParameter('weight', Parameter.normal([4, 3], 0.02, rng));
 * }
 * new Affine().stateDict(); // { weight: Tensor(4, 3) }
 * model.freeze('**');  model.unfreeze('transformer.h.*.attn.**');
 * model.replaceModule('transformer.h.0.attn.c_attn', wrapped);
 */
import type { Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';

/** A tensor-like entry of a state dict (a Tensor, or loaded raw data). */
export interface StateEntry {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A parameter-name pattern: a glob (`*` = any run within a dotted segment, `**` = any run, `?` = one character) or a RegExp (tested on the dotted name). */
export type NamePattern = string | RegExp;

/** What `loadStateDict` did. */
export interface LoadReport {
  /** Names copied into the model. */
  loaded: string[];
  /** Model parameters the state dict lacks (left as they were). */
  missing: string[];
  /** State-dict names the model has no parameter for (ignored). */
  unexpected: string[];
}

export abstract class Module {
  /** Train mode enables dropout; eval mode disables it. */
  training = true;
  private readonly ownParams = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  /** Registers a parameter under `name` (a single path segment) and returns it. */
  protected addParameter(name: string, p: Tensor): Tensor {
    checkName(name, this.ownParams, this.children);
    this.ownParams.set(name, p);
    return p;
  }

  /** Registers a submodule under `name` and returns it. */
  protected addModule<M extends Module>(name: string, m: M): M {
    checkName(name, this.ownParams, this.children);
    this.children.set(name, m);
    return m;
  }

  /** Direct submodules, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.children];
  }

  /** This module and every descendant, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [n, m] of this.children) out.push(...m.namedModules(join(prefix, n)));
    return out;
  }

  /** Every parameter with its dotted name; a parameter shared by two modules appears once (first name). */
  namedParameters(): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [mName, m] of this.namedModules()) {
      for (const [pName, p] of m.ownParams) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([join(mName, pName), p]);
      }
    }
    return out;
  }

  /** Every parameter (no duplicates). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Total number of scalar parameters. */
  numParameters(): number {
    let n = 0;
    for (const p of this.parameters()) n += p.data.length;
    return n;
  }

  /** Name -> parameter (the live tensors, not copies), in stable order. */
  stateDict(): Map<string, Tensor> {
    return new Map(this.namedParameters());
  }

  /**
   * Copies values from `state` into the parameters. Strict by default: any missing or
   * unexpected name throws an LlmtsError naming every one of them; `{ strict: false }`
   * loads the names both sides have and reports the rest. A shape mismatch always throws,
   * naming the tensor.
   */
  loadStateDict(state: ReadonlyMap<string, StateEntry> | Record<string, StateEntry>, opts: { strict?: boolean } = {}): LoadReport {
    const strict = opts.strict ?? true;
    const entries: Map<string, StateEntry> = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !entries.has(k));
    const unexpected = [...entries.keys()].filter((k) => !own.has(k));
    if (strict && (missing.length || unexpected.length)) {
      throw new LlmtsError('E_STATE_DICT', `state dict does not match the model: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`, {
        where: 'Module.loadStateDict', hint: 'load weights saved from the same architecture and config, or pass { strict: false }' });
    }
    const loaded: string[] = [];
    for (const [name, p] of own) {
      const src = entries.get(name);
      if (!src) continue;
      if (!sameShape(src.shape, p.shape) || src.data.length !== p.data.length) {
        throw new LlmtsError('E_STATE_DICT', `tensor '${name}' has shape (${src.shape.join(', ')}), the model expects (${p.shape.join(', ')})`, {
          where: `state dict entry ${name}`, hint: 'check that the config (sizes, vocab) matches the checkpoint' });
      }
      p.data.set(src.data);
      loaded.push(name);
    }
    return { loaded, missing, unexpected };
  }

  /** Stops training the parameters whose names match `pattern`; returns their names (an error when none match). */
  freeze(pattern: NamePattern): string[] {
    return this.setTrainable(pattern, false);
  }

  /** Trains the parameters whose names match `pattern` again; returns their names (an error when none match). */
  unfreeze(pattern: NamePattern): string[] {
    return this.setTrainable(pattern, true);
  }

  private setTrainable(pattern: NamePattern, on: boolean): string[] {
    const test = nameMatcher(pattern);
    const hit = this.namedParameters().filter(([n]) => test(n));
    if (hit.length === 0) {
      throw new LlmtsError('E_MODULE', `no parameter name matches ${String(pattern)}`, {
        where: on ? 'Module.unfreeze' : 'Module.freeze', hint: `names look like ${this.namedParameters().slice(0, 2).map(([n]) => n).join(', ')} ('*' stays within a segment, '**' crosses dots)` });
    }
    for (const [, p] of hit) p.requiresGrad = on;
    return hit.map(([n]) => n);
  }

  /** The parameters that are trained (not frozen), with their names. */
  trainableParameters(): [string, Tensor][] {
    return this.namedParameters().filter(([, p]) => p.requiresGrad);
  }

  /** Scalars in the trainable parameters. */
  numTrainableParameters(): number {
    let n = 0;
    for (const [, p] of this.trainableParameters()) n += p.data.length;
    return n;
  }

  /** The submodule at dotted `path` ('' = this module); an unknown path names the segment at fault. */
  getModule(path: string): Module {
    if (path === '') return this;
    const dot = path.indexOf('.');
    const head = dot < 0 ? path : path.slice(0, dot);
    const child = this.children.get(head);
    if (!child) {
      throw new LlmtsError('E_MODULE', `no submodule '${head}' (looking up '${path}')`, { where: 'Module.getModule', hint: `children there: ${[...this.children.keys()].join(', ') || '(none)'}` });
    }
    return dot < 0 ? child : child.getModule(path.slice(dot + 1));
  }

  /**
   * Puts `replacement` where the submodule at dotted `path` was (same name, same place in
   * the order) and returns the old one. Fields of the parent that held the old module now
   * hold the replacement, so the parent's forward calls it: it must offer the methods the
   * parent calls on the old one (e.g. `forward(x)` of a Linear).
   */
  replaceModule(path: string, replacement: Module): Module {
    const cut = path.lastIndexOf('.');
    const parent = this.getModule(cut < 0 ? '' : path.slice(0, cut));
    const name = path.slice(cut + 1);
    const old = parent.children.get(name);
    if (!old || path === '') {
      throw new LlmtsError('E_MODULE', `no submodule at '${path}'`, { where: 'Module.replaceModule', hint: `children there: ${[...parent.children.keys()].join(', ') || '(none)'}` });
    }
    parent.children.set(name, replacement);
    const fields = parent as unknown as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (fields[key] === old) fields[key] = replacement;
    for (const v of Object.values(fields)) {
      if (Array.isArray(v)) v.forEach((item, i) => { if (item === old) v[i] = replacement; });
    }
    return old;
  }

  /** Sets train (true) or eval (false) mode on this module and all descendants. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Eval mode: same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /** Sets every parameter's gradient to zero (buffers are kept, nothing is allocated). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad?.fill(0);
  }
}

/** An ordered list of modules named '0', '1', ... (like torch.nn.ModuleList). */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];

  constructor(items: M[]) {
    super();
    this.items = items;
    items.forEach((m, i) => this.addModule(String(i), m));
  }

  get length(): number {
    return this.items.length;
  }

  at(i: number): M {
    const m = this.items[i];
    if (!m) throw new LlmtsError('E_INDEX', `ModuleList index ${i} out of range [0, ${this.items.length})`, { where: 'ModuleList.at' });
    return m;
  }
}

/** A name test for a glob or RegExp (see NamePattern); a glob matches the whole name. */
export function nameMatcher(pattern: NamePattern): (name: string) => boolean {
  if (pattern instanceof RegExp) return (n) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(n);
  let src = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      src += '.*';
      i++;
    } else if (ch === '*') {
      src += '[^.]*';
    } else if (ch === '?') {
      src += '[^.]';
    } else {
      src += ch.replace(/[\\^$.+()[\]{}|]/g, '\\$&');
    }
  }
  const re = new RegExp(`^${src}$`);
  return (n) => re.test(n);
}

function join(prefix: string, name: string): string {
  return prefix ? `${prefix}.${name}` : name;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkName(name: string, params: Map<string, unknown>, children: Map<string, unknown>): void {
  if (!name || name.includes('.')) {
    throw new LlmtsError('E_MODULE', `bad module member name '${name}'`, { where: 'Module', hint: 'use a non-empty name without dots' });
  }
  if (params.has(name) || children.has(name)) {
    throw new LlmtsError('E_MODULE', `module member '${name}' registered twice`, { where: 'Module', hint: 'give each parameter and submodule its own name' });
  }
}
