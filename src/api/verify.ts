import type { VerifyOptions, VerifyReport } from '../../runtimes/parity/verify.ts';

/**
 * The parity report of `snn-export verify`: the trained model and each runtime (`ort-node`,
 * `ort-web`, `tfjs`, `hwsim` with a `target`) on the test set, with accuracy, prediction
 * agreement, equal spike counts and the largest logit difference per runtime.
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const parity = await import('../../runtimes/parity/verify.ts');
  return parity.verify(options);
}
