/**
 * LoRA (Hu et al. 2021) as Hugging Face peft implements it: a frozen `Linear` W plus a
 * trainable low-rank update, y = x W^T + b + scaling * dropout(x) A^T B^T, with A (r, in)
 * and B (out, r); scaling = alpha / r, or alpha / sqrt(r) with rsLoRA (Kalajdzievski 2023).
 * A starts kaiming-uniform as peft's default (`kaiming_uniform_(a=sqrt(5))`, i.e.
 * U(-1/sqrt(in), 1/sqrt(in))), B at zero, so a fresh adapter leaves the model unchanged.
 *
 * Names follow peft, so a LoRA model's state dict is peft's without its
 * `base_model.model.` prefix: the wrapped layer keeps its path and holds `base_layer`
 * (the original Linear), `lora_A.weight` and `lora_B.weight`.
 * - `applyLora(model, opts)` wraps every Linear whose dotted path matches `targetModules`
 *   (peft's rule: a list matches a path equal to an entry or ending in `.entry`; a string
 *   is a regular expression the whole path must match; 'all-linear' every Linear but
 *   lm_head, written out as the list of names, as peft saves it), with peft's defaults per
 *   architecture (`PEFT_DEFAULT_TARGETS`: gpt2 `c_attn`, llama `q_proj`, `v_proj`), and
 *   freezes every parameter except the adapters and the modules in `modulesToSave`
 *   (e.g. a classification head `score`).
 * - `mergeLora(model)` folds scaling * B A into each base weight and puts the plain
 *   Linear back, so the model is what it was before `applyLora` with new weights (the
 *   fast decode path only runs plain Linears).
 * Layouts are ours: W is (out, in) for every projection, GPT-2's Conv1D included (the HF
 * files store it transposed; peft's A and B are the same either way). Reading and writing
 * peft's files is src/io/peft.ts.
 *
 * @example
 * const info = applyLora(model, { r: 8, alpha: 16 });   // gpt2: wraps every c_attn
 * model.numTrainableParameters();                       // only lora_A / lora_B
 * ... train ...
 * mergeLora(model);                                     // plain Linears again
 */
import { add, loraLinear, scale, type Tensor } from '../tensor/index.ts';
import { LlmtsError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import { Dropout } from './dropout.ts';
import { Linear } from './linear.ts';
import { Module } from './module.ts';

/** peft's default LoRA target modules per architecture (its TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
export const PEFT_DEFAULT_TARGETS: Readonly<Record<string, readonly string[]>> = {
  gpt2: ['c_attn'],
  llama: ['q_proj', 'v_proj'],
};

/** peft's target_modules shorthand for every Linear layer but the output layer. */
export const ALL_LINEAR = 'all-linear';

/** The hyper-parameters of one LoRA layer. */
export interface LoraLayerOptions {
  /** Rank r (>= 1). */
  r: number;
  /** lora_alpha (scaling = alpha / r, or alpha / sqrt(r) with rsLora). */
  alpha: number;
  /** Dropout probability on the adapter's input, in [0, 1). */
  dropout: number;
  /** rsLoRA: scaling = alpha / sqrt(r). */
  rsLora: boolean;
}

/** Options of `applyLora` (peft's LoraConfig fields in camelCase). */
export interface LoraOptions extends Partial<LoraLayerOptions> {
  /** Which Linears to wrap: names matched at the end of the dotted path, one regex for the whole path, or 'all-linear' (default: `PEFT_DEFAULT_TARGETS[arch]`). */
  targetModules?: readonly string[] | string;
  /** Modules never wrapped (same matching rule as targetModules). */
  excludeModules?: readonly string[] | string;
  /** Modules trained in full besides the adapters (e.g. ['score'] for a classification head). */
  modulesToSave?: readonly string[];
  /** Seed of A's initialisation and of the dropout masks (default 1337). */
  seed?: number;
}

/** The LoRA setup of a model after `applyLora`: what src/io/peft.ts writes into adapter_config.json. */
export interface LoraState extends LoraLayerOptions {
  /** The target spec as given (or the arch's default). */
  targetModules: string[] | string;
  excludeModules: string[] | string | null;
  /** Names given in modulesToSave (null when none). */
  modulesToSave: string[] | null;
  /** Dotted paths of the wrapped Linears, in model order. */
  wrapped: string[];
  /** Dotted paths of the modules trained in full. */
  saved: string[];
}

/** A frozen Linear with a trainable low-rank update; see the module comment. */
export class LoraLinear extends Module {
  readonly baseLayer: Linear;
  readonly loraA: Linear;
  readonly loraB: Linear;
  readonly r: number;
  readonly alpha: number;
  readonly rsLora: boolean;
  /** alpha / r, or alpha / sqrt(r) with rsLoRA. */
  readonly scaling: number;
  private readonly drop: Dropout;

  /** Wraps `base` (its weights are shared, not copied); A from `rng`, B zeros. */
  constructor(base: Linear, o: LoraLayerOptions, rng: Rng) {
    super();
    checkLayerOptions(o);
    this.r = o.r;
    this.alpha = o.alpha;
    this.rsLora = o.rsLora;
    this.scaling = o.rsLora ? o.alpha / Math.sqrt(o.r) : o.alpha / o.r;
    this.baseLayer = this.addModule('base_layer', base);
    this.drop = this.addModule('lora_dropout', new Dropout(o.dropout, { seed: rng.nextUint32() }));
    this.loraA = this.addModule('lora_A', new Linear(base.inFeatures, o.r, { bias: false, std: 0 }));
    this.loraB = this.addModule('lora_B', new Linear(o.r, base.outFeatures, { bias: false, std: 0 }));
    const bound = 1 / Math.sqrt(base.inFeatures); // kaiming_uniform_(a = sqrt(5)) on (r, in)
    const a = this.loraA.weight.data;
    for (let i = 0; i < a.length; i++) a[i] = -bound + 2 * bound * rng.uniform();
    this.loraB.weight.data.fill(0);
  }

  /** Input width of the wrapped Linear. */
  get inFeatures(): number {
    return this.baseLayer.inFeatures;
  }

  /** Output width of the wrapped Linear. */
  get outFeatures(): number {
    return this.baseLayer.outFeatures;
  }

  /** x (..., in) -> base(x) + scaling * B(A(dropout(x))) (..., out). */
  forward(x: Tensor): Tensor {
    if (!this.training || this.drop.p === 0) {
      // no adapter dropout: one product with the merged weight (tensor/lora-linear.ts)
      const base = this.baseLayer;
      return loraLinear(x, base.weight, base.bias, this.loraA.weight, this.loraB.weight, this.scaling); // (..., out)
    }
    const y = this.baseLayer.forward(x); // (..., out)
    const h = this.loraA.forward(this.drop.forward(x)); // (..., r)
    const d = this.loraB.forward(h); // (..., out)
    return add(y, scale(d, this.scaling)); // (..., out)
  }

  /** scaling * B A as (out, in), row-major, summed in float64. */
  deltaWeight(): Float32Array {
    const out = this.outFeatures, inF = this.inFeatures, r = this.r;
    const A = this.loraA.weight.data, B = this.loraB.weight.data;
    const delta = new Float32Array(out * inF);
    const acc = new Float64Array(inF);
    for (let o = 0; o < out; o++) {
      acc.fill(0);
      for (let k = 0; k < r; k++) {
        const b = B[o * r + k]!;
        if (b === 0) continue;
        for (let i = 0; i < inF; i++) acc[i] += b * A[k * inF + i]!;
      }
      for (let i = 0; i < inF; i++) delta[o * inF + i] = this.scaling * acc[i]!;
    }
    return delta;
  }

  /** Adds scaling * B A to the base weight and returns the base Linear (the wrapper is spent). */
  merge(): Linear {
    const w = this.baseLayer.weight.data;
    const delta = this.deltaWeight(); // (out, in)
    for (let i = 0; i < w.length; i++) w[i] = w[i]! + delta[i]!;
    return this.baseLayer;
  }
}

/** A model `applyLora` can take: a Module with the architecture in its config (for the default targets). */
export type LoraModel = Module & { readonly config: { readonly arch: string } };

const states = new WeakMap<Module, LoraState>();

/** The LoRA setup `applyLora` gave `model`, or null when it has none (or it was merged). */
export function loraState(model: Module): LoraState | null {
  return states.get(model) ?? null;
}

/** Every LoRA layer of `model` with its dotted path, in model order. */
export function loraLayers(model: Module): [string, LoraLinear][] {
  return model.namedModules().filter((e): e is [string, LoraLinear] => e[1] instanceof LoraLinear);
}

/** peft's target rule: a list entry equal to the path or ending it after a dot; a string: a regex over the whole path. */
export function matchesModules(spec: readonly string[] | string, path: string): boolean {
  if (typeof spec === 'string') {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${spec})$`);
    } catch (err) {
      throw new LlmtsError('E_LORA', `target pattern ${JSON.stringify(spec)} is not a regular expression`, { where: 'lora.targetModules', hint: 'give a list of module names, or a valid regular expression', cause: err });
    }
    return re.test(path);
  }
  return spec.some((t) => path === t || path.endsWith(`.${t}`));
}

/** What `planLora` finds: the layer options, the Linears to wrap and the modules to train in full. */
export interface LoraPlan {
  layer: LoraLayerOptions;
  targets: readonly string[] | string;
  exclude: readonly string[] | string | null;
  /** [dotted path, the Linear] of every module to wrap, in model order. */
  wrap: [string, Linear][];
  /** Dotted paths of the modules in modulesToSave. */
  saved: string[];
}

/**
 * What `applyLora(model, opts)` would do, without changing the model (peft's matching:
 * targets inside a modules_to_save module are left alone). Errors (E_LORA) name a target
 * that matches nothing, a match that is not a Linear, or bad options.
 */
export function planLora(model: LoraModel, opts: LoraOptions = {}): LoraPlan {
  const layer: LoraLayerOptions = { r: opts.r ?? 8, alpha: opts.alpha ?? 8, dropout: opts.dropout ?? 0, rsLora: opts.rsLora ?? false };
  checkLayerOptions(layer);
  const arch = model.config.arch;
  const modules = model.namedModules().filter(([p]) => p !== '');
  const saveNames = opts.modulesToSave ?? [];
  const saved = uniq(saveNames.flatMap((name) => {
    const found = modules.filter(([p]) => matchesModules([name], p)).map(([p]) => p);
    if (found.length === 0) {
      throw new LlmtsError('E_LORA', `modules_to_save '${name}' matches no module of the model`, { where: 'applyLora.modulesToSave', hint: 'name a module of the model, e.g. "score" for a classification head' });
    }
    return found;
  })); // peft lists a module twice when it ties weights (['embed_tokens', 'model.embed_tokens'])
  const insideSaved = (p: string) => saved.some((s) => p === s || p.startsWith(`${s}.`));
  let targets = opts.targetModules ?? PEFT_DEFAULT_TARGETS[arch];
  if (targets === ALL_LINEAR) {
    // peft's 'all-linear': every Linear but the output layer (and the modules to save), as the list of their names
    targets = [...new Set(modules.filter(([p, m]) => m instanceof Linear && !/(^|\.)lm_head$/.test(p) && !insideSaved(p)).map(([p]) => p.slice(p.lastIndexOf('.') + 1)))];
  }
  if (!targets || (typeof targets !== 'string' && targets.length === 0)) {
    throw new LlmtsError('E_LORA', `no default LoRA target modules for architecture '${arch}'`, { where: 'applyLora.targetModules', hint: 'name the Linear layers to adapt, e.g. targetModules: ["q_proj", "v_proj"], or "all-linear"' });
  }
  const exclude = opts.excludeModules ?? null;
  const hits = modules.filter(([p]) => matchesModules(targets, p) && !(exclude && matchesModules(exclude, p)) && !insideSaved(p));
  if (hits.length === 0) {
    const ends = new Set(modules.filter(([, m]) => m instanceof Linear).map(([p]) => p.split('.').pop()));
    throw new LlmtsError('E_LORA', `target modules ${JSON.stringify(targets)} match no module of the model`, {
      where: 'applyLora.targetModules', hint: `Linear layers here end in: ${[...ends].join(', ')}` });
  }
  for (const [p, m] of hits) {
    if (m instanceof LoraLinear) {
      throw new LlmtsError('E_LORA', `'${p}' has a LoRA adapter already`, { where: 'applyLora', hint: 'merge it first (mergeLora) or start from the base model' });
    }
    if (!(m instanceof Linear)) {
      throw new LlmtsError('E_LORA', `target module '${p}' is a ${m.constructor.name}, LoRA wraps Linear layers only`, { where: 'applyLora.targetModules', hint: 'name Linear layers (attention and MLP projections)' });
    }
  }
  return { layer, targets, exclude, wrap: hits as [string, Linear][], saved };
}

/**
 * Wraps the targeted Linears of `model` in `LoraLinear`s and freezes everything else but
 * the adapters and `modulesToSave`; returns the setup (also kept for `loraState`). Defaults
 * are peft's: r 8, alpha 8, dropout 0, the arch's target modules. Errors as `planLora`'s,
 * and a model that has adapters already.
 */
export function applyLora(model: LoraModel, opts: LoraOptions = {}): LoraState {
  if (loraLayers(model).length > 0) {
    throw new LlmtsError('E_LORA', 'the model has LoRA adapters already', { where: 'applyLora', hint: 'merge them first (mergeLora) or start from the base model' });
  }
  const plan = planLora(model, opts);
  const rng = new Rng(opts.seed ?? 1337);
  for (const p of model.parameters()) p.requiresGrad = false;
  for (const [path, linear] of plan.wrap) model.replaceModule(path, new LoraLinear(linear, plan.layer, rng).train(model.training));
  for (const [, l] of loraLayers(model)) {
    l.loraA.weight.requiresGrad = true;
    l.loraB.weight.requiresGrad = true;
  }
  for (const path of plan.saved) for (const p of model.getModule(path).parameters()) p.requiresGrad = true;
  const { targets, exclude } = plan;
  const state: LoraState = {
    ...plan.layer, targetModules: typeof targets === 'string' ? targets : [...targets],
    excludeModules: exclude === null ? null : typeof exclude === 'string' ? exclude : [...exclude],
    modulesToSave: opts.modulesToSave ? [...opts.modulesToSave] : null, wrapped: plan.wrap.map(([p]) => p), saved: plan.saved,
  };
  states.set(model, state);
  return state;
}

/**
 * Folds every adapter into its base weight (W += scaling * B A) and puts the plain Linear
 * back in its place; returns the merged paths. The merged layers' weights stay frozen as
 * `applyLora` left them (`model.unfreeze('**')` trains everything again).
 */
export function mergeLora(model: Module): string[] {
  const layers = loraLayers(model);
  for (const [path, l] of layers) model.replaceModule(path, l.merge());
  states.delete(model);
  return layers.map(([p]) => p);
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function checkLayerOptions(o: LoraLayerOptions): void {
  const bad = (field: string, want: string, got: unknown): never => {
    throw new LlmtsError('E_LORA', `LoRA ${field} must be ${want}, got ${JSON.stringify(got)}`, { where: `lora.${field}`, hint: 'peft\'s defaults: r 8, alpha 8, dropout 0' });
  };
  if (!Number.isInteger(o.r) || o.r < 1) bad('r', 'an integer >= 1', o.r);
  if (typeof o.alpha !== 'number' || !Number.isFinite(o.alpha) || o.alpha <= 0) bad('alpha', 'a number > 0', o.alpha);
  if (typeof o.dropout !== 'number' || !(o.dropout >= 0 && o.dropout < 1)) bad('dropout', 'in [0, 1)', o.dropout);
  if (typeof o.rsLora !== 'boolean') bad('rsLora', 'true or false', o.rsLora);
}
