/**
 * `Tensor`: a Float32Array (contiguous, row-major) plus a shape, and the reverse-mode
 * autograd that runs over the ops of this folder.
 *
 * How the graph works:
 * - Each op output made while gradients are enabled carries a `node`: the op's inputs, the
 *   buffers it saved for backward, and a closure that accumulates the output's gradient
 *   into the inputs' `.grad` buffers. `noGrad(fn)` records nothing.
 * - `loss.backward()` walks the graph in reverse topological order. Leaf tensors (made by
 *   the constructors: parameters, inputs) ACCUMULATE gradients: micro-batches add up until
 *   `zeroGrad()`.
 * - Unless `retainGraph`, backward gives every intermediate buffer of the graph (outputs,
 *   saved activations, gradients) back to the buffer pool (pool.ts) as soon as the node
 *   that made it has run (every consumer ran before it), so earlier layers' gradients reuse
 *   later layers' buffers; those tensors are marked released: reading one afterwards
 *   throws E_RELEASED. The next step takes the same buffers again. The root (the loss)
 *   keeps its value, so `loss.item()` after `backward()` works; call `t.retain()` before
 *   backward to keep any other intermediate (and its gradient).
 * - Views (`reshape`, `detach`) share their base's storage; a view of a released base
 *   throws on access, never returns recycled memory.
 *
 * Tensors that should outlive one step (masks, RoPE tables, caches) are made under
 * `noGrad` or by the constructors: those have no node and are never released by backward.
 */
import { backend } from '../backend/index.ts';
import { BufferPool, pool, swapPool } from './pool.ts';
import { LlmtsError } from '../util/errors.ts';
import type { Rng } from '../util/rng.ts';

/** The record of the op that made a tensor. */
export interface Node {
  /** Op name, for error messages. */
  readonly op: string;
  /** The op's tensor inputs. */
  readonly inputs: readonly Tensor[];
  /** Pool buffers saved for backward (released with the graph). */
  saved: Float32Array[];
  /** Accumulates d(loss)/d(inputs) given d(loss)/d(output); null when no input needs grad. */
  backward: ((dout: Float32Array) => void) | null;
  /**
   * False when `backward` never reads the op's output value (linear, add, GELU, ...):
   * then backward() gives the value's buffer back as soon as every consumer's backward
   * has run, before this op's own backward (a lower peak). Default true.
   */
  readsOutput?: boolean;
  /**
   * False when `backward` reads no input's value, only `dout` (add): such a consumer does
   * not keep its inputs' values alive, so a value read by nobody else goes back to the pool
   * when backward() starts. Default true.
   */
  readsInputs?: boolean;
}

/** Options of the tensor constructors. */
export interface TensorOptions {
  /** Track gradients for this leaf (parameters). Default false. */
  requiresGrad?: boolean;
}

/** Constructor fields used by this folder only (pooled storage, views). */
export interface TensorInternals {
  /** The buffer came from the pool and goes back to it on release. */
  pooled?: boolean;
  /** The tensor owning the storage (views). */
  base?: Tensor;
  /** The view shares its base's gradient buffer (reshape). */
  sharesGrad?: boolean;
}

// ---------------------------------------------------------------- grad mode and scopes

let gradEnabled = true;
const scopes: Tensor[][] = [];

/** True unless inside `noGrad`. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs fn with gradient recording off: ops record no graph and save nothing.
 *
 * @example
 * const logits = noGrad(() => model.forward(ids)); // inference
 */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs fn and disposes every tensor created inside it, except the returned tensor(s)
 * (a Tensor, or an array of them) and tensors marked with `retain()`. Meant for no-grad
 * loops (generation, evaluation) so they reuse pooled buffers.
 *
 * @example
 * const next = tidy(() => noGrad(() => softmax(model.forward(ids)))); // temporaries go back to the pool
 */
export function tidy<T extends Tensor | Tensor[] | void>(fn: () => T): T {
  const created: Tensor[] = [];
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } finally {
    scopes.pop();
  }
  const keep = new Set<Tensor>();
  const kept = result instanceof Tensor ? [result] : Array.isArray(result) ? result : [];
  for (const t of kept) {
    keep.add(t);
    if (t.base) keep.add(t.base);
  }
  for (const t of created) {
    if (t.isRetained() && t.base) keep.add(t.base);
  }
  const parent = scopes[scopes.length - 1];
  for (const t of created) {
    if (keep.has(t) || t.isRetained()) parent?.push(t);
    else t.dispose();
  }
  return result;
}

/**
 * Runs fn with every new tensor buffer in float64 (`.data` is then a Float64Array at run
 * time). For gradient checks only: needs the reference backend, whose kernels accept
 * float64 buffers, so forward and backward run in double precision end to end.
 *
 * @example
 * setBackend(referenceBackend());
 * withFloat64(() => { const loss = sum(gelu(x)); loss.backward(); }); // x made inside, too
 */
export function withFloat64<T>(fn: () => T): T {
  if (backend().name !== 'reference') {
    throw new LlmtsError('E_BACKEND', `withFloat64 needs the reference backend, the current one is '${backend().name}'`, {
      where: 'withFloat64', hint: "call setBackend(referenceBackend()) first" });
  }
  const f64 = new BufferPool(0, true);
  f64.poison = true; // an op that reads an element it never wrote turns the check into NaN
  const prev = swapPool(f64);
  try {
    return fn();
  } finally {
    swapPool(prev);
  }
}

// ---------------------------------------------------------------- shapes

/** Number of elements of a shape; throws on a bad dimension. */
export function shapeSize(shape: readonly number[], where = 'Tensor'): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new LlmtsError('E_SHAPE', `bad shape (${shape.join(', ')}): dimensions must be integers >= 0`, { where });
    }
    n *= d;
  }
  return n;
}

/** "(2, 3)" */
export function fmtShape(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------- Tensor

/**
 * A float32 tensor: contiguous row-major `data` of `size` elements and a `shape`.
 *
 * @example
 * const w = Tensor.randn([4, 3], new Rng(1), 0.02, { requiresGrad: true });
 * const x = Tensor.fromArray([1, 2, 3], [1, 3]);
 * const loss = sum(linear(x, w));
 * loss.backward();          // w.grad: Float32Array(12)
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  /** Gradient of the last backward(s) (accumulated for leaves); null until one flows in. */
  grad: Float32Array | null = null;
  /** Whether gradients flow to this tensor. Set it on leaves (parameters). */
  requiresGrad: boolean;
  /** The op that made this tensor (null for leaves and after release). */
  node: Node | null = null;
  /** For a view: the tensor that owns the storage. */
  readonly base: Tensor | null;
  /** A view made by reshape shares its base's gradient buffer too. */
  readonly sharesGrad: boolean;
  private buf: Float32Array;
  private readonly pooled: boolean;
  private released = false;
  private retained = false;
  /** backward() gave the value's buffer back early (see Node.readsOutput); gradient and node stay. */
  private valueDropped = false;

  /**
   * Wraps `data` (no copy) with `shape`; data.length must equal the shape's size.
   * The array stays the caller's: it never goes to the buffer pool.
   */
  constructor(data: Float32Array, shape: readonly number[], opts: TensorOptions = {}, internal: TensorInternals = {}) {
    this.size = shapeSize(shape);
    if (data.length !== this.size) {
      throw new LlmtsError('E_SHAPE', `data has ${data.length} elements, shape ${fmtShape(shape)} needs ${this.size}`, {
        where: 'new Tensor', hint: 'pass a Float32Array whose length is the product of the shape' });
    }
    this.shape = Object.freeze([...shape]);
    this.buf = data;
    this.requiresGrad = opts.requiresGrad ?? false;
    this.pooled = internal.pooled ?? false;
    this.base = internal.base ?? null;
    this.sharesGrad = internal.sharesGrad ?? false;
    scopes[scopes.length - 1]?.push(this);
  }

  // ------------------------------------------------------------ constructors

  /** An uninitialised tensor with a pooled buffer (ops use this for outputs). */
  static empty(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    return new Tensor(pool.acquire(shapeSize(shape)), shape, opts, { pooled: true });
  }

  /** Zeros. `Tensor.zeros([2, 3])` */
  static zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 0, opts);
  }

  /** Ones. `Tensor.ones([3])` */
  static ones(shape: readonly number[], opts: TensorOptions = {}): Tensor {
    return Tensor.full(shape, 1, opts);
  }

  /** Every element = value. `Tensor.full([2], 0.5)` */
  static full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    t.buf.fill(value);
    return t;
  }

  /** Normal(0, std^2) samples from rng. `Tensor.randn([768, 768], rng, 0.02, { requiresGrad: true })` */
  static randn(shape: readonly number[], rng: Rng, std = 1, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    for (let i = 0; i < t.size; i++) t.buf[i] = rng.normal() * std;
    return t;
  }

  /** Uniform in [lo, hi) from rng. `Tensor.uniform([4], rng, -0.1, 0.1)` */
  static uniform(shape: readonly number[], rng: Rng, lo = 0, hi = 1, opts: TensorOptions = {}): Tensor {
    const t = Tensor.empty(shape, opts);
    for (let i = 0; i < t.size; i++) t.buf[i] = lo + (hi - lo) * rng.uniform();
    return t;
  }

  /** Copies values; shape defaults to [values.length]. `Tensor.fromArray([1, 2, 3, 4], [2, 2])` */
  static fromArray(values: ArrayLike<number>, shape?: readonly number[], opts: TensorOptions = {}): Tensor {
    const s = shape ?? [values.length];
    if (shapeSize(s, 'Tensor.fromArray') !== values.length) {
      throw new LlmtsError('E_SHAPE', `${values.length} values do not fill shape ${fmtShape(s)}`, {
        where: 'Tensor.fromArray', hint: 'give as many values as the product of the shape' });
    }
    const t = Tensor.empty(s, opts);
    for (let i = 0; i < t.size; i++) t.buf[i] = values[i]!;
    return t;
  }

  /** A 0-d tensor (shape []). `Tensor.scalar(2)` */
  static scalar(value: number, opts: TensorOptions = {}): Tensor {
    return Tensor.full([], value, opts);
  }

  // ------------------------------------------------------------ access

  /** The values (row-major). Throws E_RELEASED once the tensor was released. */
  get data(): Float32Array {
    if (this.released || this.valueDropped || (this.base !== null && (this.base.released || this.base.valueDropped))) {
      throw new LlmtsError('E_RELEASED', `tensor ${fmtShape(this.shape)} was released (its buffer went back to the pool)`, {
        where: 'Tensor.data',
        hint: 'read intermediate tensors before backward() or call t.retain() on them first; make tensors reused across steps (masks, tables) under noGrad(); do not use a disposed tensor',
      });
    }
    return this.buf;
  }

  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }

  /** Whether backward/tidy/dispose gave this tensor's buffer back. */
  get isReleased(): boolean {
    return this.released || (this.base !== null && this.base.released);
  }

  /** Whether `retain()` was called. */
  isRetained(): boolean {
    return this.retained;
  }

  /** The single value of a one-element tensor. `loss.item()` */
  item(): number {
    if (this.size !== 1) {
      throw new LlmtsError('E_SHAPE', `item() needs a one-element tensor, got ${fmtShape(this.shape)}`, {
        where: 'Tensor.item', hint: 'reduce first (sum/mean) or use toArray()' });
    }
    return this.data[0]!;
  }

  /** The values as a plain number array (row-major). */
  toArray(): number[] {
    return Array.from(this.data);
  }

  /** "Tensor(2, 3)" */
  toString(): string {
    return `Tensor${fmtShape(this.shape)}`;
  }

  // ------------------------------------------------------------ lifetime

  /** Keeps this tensor (value and gradient) through backward's release and tidy. Returns this. */
  retain(): this {
    this.retained = true;
    return this;
  }

  /** A tensor sharing this one's storage, outside the graph (no gradient). */
  detach(): Tensor {
    return makeView(this, this.shape, false);
  }

  /** A copy with its own (pooled) storage, outside the graph. */
  clone(): Tensor {
    const t = Tensor.empty(this.shape);
    t.buf.set(this.data);
    return t;
  }

  /** Fills the gradient with zeros (keeps the buffer). Leaves accumulate until this is called. */
  zeroGrad(): void {
    this.grad?.fill(0);
  }

  /**
   * Gives this tensor's buffers back to the pool now and marks it released. For tensors
   * you made and no longer need (e.g. per-step inputs); parameters are never disposed.
   */
  dispose(): void {
    if (this.released) return;
    this.released = true;
    if (this.node) for (const s of this.node.saved) pool.release(s);
    this.node = null;
    if (this.grad && !this.sharesGrad) pool.release(this.grad);
    this.grad = null;
    if (this.pooled && this.base === null && !this.valueDropped) pool.release(this.buf);
  }

  /**
   * backward() only: gives the value's buffer back now when nothing will read it again
   * (every consumer's backward ran, and this op's backward does not read its output).
   */
  dropValueIfDead(keep: Set<Tensor>): void {
    if (this.node?.readsOutput !== false || keep.has(this) || this.retained || this.released || this.valueDropped) return;
    if (!this.pooled || this.base !== null) return;
    this.valueDropped = true;
    pool.release(this.buf);
  }

  // ------------------------------------------------------------ autograd

  /**
   * Backpropagates from this tensor. Without `grad`, the tensor must have one element
   * (a loss) and its gradient is 1. Leaf gradients accumulate. Afterwards the graph's
   * intermediate buffers go back to the pool unless `retainGraph` (then call backward again
   * as often as needed, and `releaseGraph()` at the end).
   */
  backward(opts: { grad?: Float32Array; retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) {
      throw new LlmtsError('E_NO_GRAD', `backward() on a tensor ${fmtShape(this.shape)} that does not require grad`, {
        where: 'Tensor.backward',
        hint: 'create parameters with { requiresGrad: true } and do not compute the loss inside noGrad()',
      });
    }
    if (opts.grad === undefined && this.size !== 1) {
      throw new LlmtsError('E_SHAPE', `backward() without a gradient needs a one-element tensor, got ${fmtShape(this.shape)}`, {
        where: 'Tensor.backward', hint: 'reduce to a scalar loss (mean/sum) or pass { grad }' });
    }
    if (opts.grad !== undefined && opts.grad.length !== this.size) {
      throw new LlmtsError('E_SHAPE', `backward() grad has ${opts.grad.length} elements, tensor has ${this.size}`, {
        where: 'Tensor.backward' });
    }
    const order = topoOrder(this);
    // the whole graph (grad or not) and what survives it, found before any node is released
    const graph = opts.retainGraph ? null : collectGraph(this);
    const seed = gradOf(this)!;
    if (opts.grad) for (let i = 0; i < this.size; i++) seed[i]! += opts.grad[i]!;
    else seed[0]! += 1;

    // how many backward closures still read each tensor (as an input); values nobody
    // reads (e.g. the outputs of projections feeding residual adds) go back right away
    const readers = graph ? countReaders(order) : null;
    if (readers) for (const t of order) if (!readers.has(t)) t.dropValueIfDead(graph!.keep);
    for (const t of order) {
      const g = t.grad;
      const inputs = t.node!.inputs;
      const readsInputs = t.node!.readsInputs !== false;
      if (g !== null) { // else no gradient reached this tensor
        t.node!.backward!(g);
        // Every consumer of t ran before it (reverse topological order), so t's gradient,
        // value and saved buffers are no longer needed: give them back right away. The pool
        // then serves the gradients of earlier layers from these buffers (lower peak memory).
        if (graph && !graph.keep.has(t)) {
          t.dispose();
        } else if (!t.retained) {
          if (!t.sharesGrad) pool.release(g);
          t.grad = null;
        }
      }
      if (readers && readsInputs) {
        // an input whose last reader just ran, and whose own backward needs only its
        // inputs, gives its value back before its own backward allocates gradients
        for (let k = 0; k < inputs.length; k++) {
          const x = inputs[k]!;
          if (inputs.indexOf(x) !== k || !readers.has(x)) continue;
          const left = readers.get(x)! - 1;
          readers.set(x, left);
          if (left === 0) x.dropValueIfDead(graph!.keep);
        }
      }
    }
    if (graph) releaseCollected(graph);
  }

  /**
   * Releases every intermediate tensor of the graph below this one (their buffers go back to
   * the pool); this tensor and retained ones keep their values but leave the graph.
   * `backward()` does this unless `retainGraph`.
   */
  releaseGraph(): void {
    releaseCollected(collectGraph(this));
  }
}

/** For each op-made tensor: how many nodes of the backward order read it as an input. */
function countReaders(order: readonly Tensor[]): Map<Tensor, number> {
  const n = new Map<Tensor, number>();
  for (const t of order) {
    if (t.node!.readsInputs === false) continue;
    const inputs = t.node!.inputs;
    for (let k = 0; k < inputs.length; k++) {
      const x = inputs[k]!;
      if (x.node !== null && inputs.indexOf(x) === k) n.set(x, (n.get(x) ?? 0) + 1);
    }
  }
  return n;
}

/** The op-made tensors reachable from root, and those to keep (root, retained, their bases). */
function collectGraph(root: Tensor): { all: Tensor[]; keep: Set<Tensor> } {
  const keep = new Set<Tensor>([root]);
  const seen = new Set<Tensor>();
  const all: Tensor[] = [];
  const stack: Tensor[] = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    if (t.node === null) continue; // leaves: parameters, inputs, constants
    all.push(t);
    if (t.isRetained()) keep.add(t);
    for (const i of t.node.inputs) stack.push(i);
  }
  for (const t of [...keep]) if (t.base) keep.add(t.base);
  return { all, keep };
}

/** Disposes the collected graph's tensors; kept ones leave the graph with their values. */
function releaseCollected(graph: { all: Tensor[]; keep: Set<Tensor> }): void {
  for (const t of graph.all) {
    if (graph.keep.has(t)) {
      if (t.node) for (const s of t.node.saved) pool.release(s);
      t.node = null;
      t.requiresGrad = false;
    } else {
      t.dispose();
    }
  }
}

// ---------------------------------------------------------------- helpers for ops

/** A tensor viewing `base`'s storage with another shape (same size). */
export function makeView(base: Tensor, shape: readonly number[], shareGrad: boolean): Tensor {
  return new Tensor(base.data, shape, {}, { base: base.base ?? base, sharesGrad: shareGrad });
}

/**
 * The gradient buffer of t (allocated zero-filled on first use), or null when t does not
 * require grad. Op backward closures accumulate into it.
 */
export function gradOf(t: Tensor): Float32Array | null {
  const slot = gradFor(t);
  if (slot?.fresh) slot.g.fill(0);
  return slot ? slot.g : null;
}

/**
 * For backward code that can either write or add: t's gradient buffer, with `fresh` true
 * when it was just taken from the pool (contents arbitrary: the caller must WRITE every
 * element, e.g. gemm with beta = 0 or a copy, instead of adding). This skips zero-filling
 * the gradients of most intermediates. Null when t does not require grad.
 *
 * @example
 * const s = gradFor(x);
 * if (s) be.gemm(false, false, M, K, N, 1, dy, N, 0, w, K, 0, s.fresh ? 0 : 1, s.g, K, 0, 1);
 */
export function gradFor(t: Tensor): { g: Float32Array; fresh: boolean } | null {
  if (!t.requiresGrad) return null;
  if (t.grad) return { g: t.grad, fresh: false };
  if (t.isReleased) {
    throw new LlmtsError('E_RELEASED', `gradient of a released tensor ${fmtShape(t.shape)}`, {
      where: 'backward', hint: 'a graph can be backpropagated once; pass { retainGraph: true } to the first backward()' });
  }
  if (t.sharesGrad && t.base) {
    const slot = gradFor(t.base);
    t.grad = slot ? slot.g : null;
    return slot;
  }
  t.grad = pool.acquire(t.size);
  return { g: t.grad, fresh: true };
}

/**
 * Records an op: out gets a node with its inputs, saved buffers and backward closure,
 * and requires grad when any input does. Under noGrad (or when no input requires grad)
 * the saved buffers go straight back to the pool. Returns out.
 */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], saved: Float32Array[],
  backward: (dout: Float32Array) => void, opts: { readsOutput?: boolean; readsInputs?: boolean } = {}): Tensor {
  if (!gradEnabled) {
    for (const s of saved) pool.release(s);
    return out;
  }
  const needs = inputs.some((t) => t.requiresGrad);
  if (!needs) for (const s of saved) pool.release(s);
  out.requiresGrad = needs;
  out.node = { op, inputs, saved: needs ? saved : [], backward: needs ? backward : null, readsOutput: opts.readsOutput ?? true, readsInputs: opts.readsInputs ?? true };
  return out;
}

/** Tensors that need their node's backward, outputs before inputs (reverse topological order). */
function topoOrder(root: Tensor): Tensor[] {
  const post: Tensor[] = [];
  const visited = new Set<Tensor>();
  // iterative DFS: [tensor, next input index]
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [t, idx] = top;
    const inputs = t.node?.backward ? t.node.inputs : [];
    if (idx < inputs.length) {
      top[1] = idx + 1;
      const inp = inputs[idx]!;
      if (inp.requiresGrad && !visited.has(inp)) {
        visited.add(inp);
        stack.push([inp, 0]);
      }
    } else {
      stack.pop();
      if (t.node?.backward) post.push(t);
    }
  }
  return post.reverse();
}
