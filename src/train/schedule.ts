/** Learning-rate schedules over the whole run, by update number. */
export type LrSchedule = 'constant' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['constant', 'cosine'];

/** The learning rate at update `step` (0-based) of `total`: constant, or cosine-annealed to zero. */
export function scheduledLr(schedule: LrSchedule, lr: number, step: number, total: number): number {
  if (schedule === 'constant' || total <= 0) return lr;
  return lr * 0.5 * (1 + Math.cos((Math.PI * Math.min(step, total)) / total));
}
