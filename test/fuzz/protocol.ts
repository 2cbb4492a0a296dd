/** Messages between the fuzzer's parent (runner.ts) and its worker process (worker.ts). */

/** How a case ended. The last four are failures the fuzzer exists to find. */
export type Outcome = 'accepted' | 'refused' | 'internal' | 'crash' | 'hang' | 'memory';

export const OUTCOMES: Outcome[] = ['accepted', 'refused', 'internal', 'crash', 'hang', 'memory'];
export const FAILURES: Outcome[] = ['internal', 'crash', 'hang', 'memory'];

export interface CaseRequest {
  id: number;
  format: string;
  /** The case's input file. */
  path: string;
  /** A folder the worker makes a per-case scratch folder in. */
  scratchRoot: string;
}

export interface CaseResult {
  id: number;
  outcome: Outcome;
  /** For refusals: the CLI's exit code. */
  exitCode?: number;
  /** The one-line error (refusals, internal errors) or what the parent saw (crash, hang, memory). */
  message: string;
  /** For internal errors: the first stack frame in the project's code. */
  frame?: string;
  ms: number;
  /** The worker's peak resident memory so far, in KiB. */
  maxRssKb: number;
}
