/**
 * `Module`: the base of every layer. A module owns named parameters and named
 * submodules, registered in its constructor; their order gives stable dotted names
 * (`h.0.attn.c_attn.weight`) for `namedParameters()` and `stateDict()`.
 *
 * @example
 * class Affine extends Module {
 *   readonly weight = this.addParameter('weight', Parameter.normal([4, 3], 0.02, rng));
 * }
 * new Affine().stateDict(); // { weight: Tensor(4, 3) }
 */
import type { Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';

/** A tensor-like entry of a state dict (a Tensor, or loaded raw data). */
export interface StateEntry {
  readonly shape: readonly number[];
  readonly data: Float32Array;
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
   * Copies values from `state` into the parameters. Strict by default: a missing name,
   * an unexpected name or a shape mismatch throws an LlmtsError naming the tensor.
   * Returns the names that were loaded.
   */
  loadStateDict(state: ReadonlyMap<string, StateEntry> | Record<string, StateEntry>, opts: { strict?: boolean } = {}): string[] {
    const strict = opts.strict ?? true;
    const entries: Map<string, StateEntry> = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const loaded: string[] = [];
    if (strict) {
      const missing = [...own.keys()].filter((k) => !entries.has(k));
      const unexpected = [...entries.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new LlmtsError('E_STATE_DICT', `state dict does not match the model: missing [${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}], unexpected [${unexpected.slice(0, 5).join(', ')}${unexpected.length > 5 ? ', ...' : ''}]`, {
          where: 'Module.loadStateDict', hint: 'load weights saved from the same architecture and config, or pass { strict: false }' });
      }
    }
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
    return loaded;
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
