/**
 * What an optimizer needs from a parameter: its values and (after backward) its
 * gradient, both flat Float32Arrays of the same length. `Tensor` and `nn.Parameter`
 * satisfy it; so does a plain object in tests.
 *
 * @example
 * const p: OptimParam = { data: new Float32Array([1, 2]), grad: new Float32Array([0.1, -0.2]) };
 */
export interface OptimParam {
  data: Float32Array;
  grad: Float32Array | null;
  /** Optional shape (used by `decayGroups` to tell matrices from vectors). */
  readonly shape?: readonly number[];
}

/** A set of parameters sharing a learning rate and weight decay. */
export interface ParamGroup<P extends OptimParam = OptimParam> {
  params: P[];
  /** Learning rate of this group (defaults to the optimizer's `lr`). */
  lr?: number;
  /** Weight decay of this group (defaults to the optimizer's `weightDecay`). */
  weightDecay?: number;
}

/** A group after defaults are filled in; `lrScale` = group lr / optimizer lr, kept by `setLr`. */
export interface ResolvedGroup<P extends OptimParam = OptimParam> {
  params: P[];
  lr: number;
  weightDecay: number;
  lrScale: number;
}

/** Accepts a flat list of params (one group) or a list of groups. */
export function resolveGroups<P extends OptimParam>(
  input: readonly P[] | readonly ParamGroup<P>[], lr: number, weightDecay: number,
): ResolvedGroup<P>[] {
  const groups: ParamGroup<P>[] = input.length > 0 && isGroup(input[0]!)
    ? (input as readonly ParamGroup<P>[]).slice()
    : [{ params: (input as readonly P[]).slice() }];
  return groups.map((g) => {
    const glr = g.lr ?? lr;
    return { params: g.params.slice(), lr: glr, weightDecay: g.weightDecay ?? weightDecay, lrScale: lr === 0 ? 1 : glr / lr };
  });
}

function isGroup<P extends OptimParam>(x: P | ParamGroup<P>): x is ParamGroup<P> {
  return Array.isArray((x as ParamGroup<P>).params);
}
