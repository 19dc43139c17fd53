/**
 * What a fuzz target is (see targets.ts for the list): a parser of user input with its
 * seeds. `setup` builds the seed inputs once, in a scratch folder of its own, and returns
 * a function that makes the (seed, index)-th mutated input from an `Rng`; `run` feeds it
 * to the parser. `run` may succeed or throw an error the user can act on (`LlmtsError`;
 * for HTTP bodies a 4xx `ApiError`); anything else is a finding.
 *
 * @example
 * const make = await target.setup(dir);
 * const c = make(new Rng(hash32(1, 0)));  // c.log says what was mutated; await c.run()
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmtsError } from '../../src/util/errors.ts';
import type { Rng } from '../../src/util/rng.ts';

/** One mutated input, ready to run. */
export interface FuzzCase {
  /** Which seed and which mutations, in words. */
  log: string[];
  run(): void | Promise<void>;
}

/** A parser under fuzzing. */
export interface FuzzTarget {
  name: string;
  /** Inputs per parser in the test suite (sized to take ~1-2 s on one core). */
  testInputs: number;
  /** Builds the seeds in `dir` (a fresh scratch folder); returns the input maker (input `index` draws from `rng`). */
  setup(dir: string): Promise<(rng: Rng, index: number) => FuzzCase>;
  /** Errors that are a proper answer to bad input; default: `LlmtsError`. */
  expected?(err: unknown): boolean;
}

/** True when `err` is a proper answer of `target` to bad input. */
export function isExpected(target: FuzzTarget, err: unknown): boolean {
  return target.expected ? target.expected(err) : err instanceof LlmtsError;
}

/** Picks one of the seeds and says which in the log. */
export function pickSeed<T>(rng: Rng, seeds: readonly (readonly [string, T])[], log: string[]): T {
  const [name, value] = seeds[rng.int(seeds.length)]!;
  log.push(`seed ${name}`);
  return value;
}

/** A path inside the repository. */
export function repoPath(...parts: string[]): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', ...parts);
}
