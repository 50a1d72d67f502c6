/**
 * Failpoints: named places where the crash tests make the process die with
 * SIGKILL, exactly as a crash or `kill -9` would, at a chosen occurrence.
 * Set GEPA_AIME_FAILPOINT=<name>:<n> (e.g. `tool-after:1`); unset, they cost
 * one string comparison.
 */
const spec = process.env['GEPA_AIME_FAILPOINT'] ?? '';
const [target, nth] = spec.split(':');
const wanted = Number(nth ?? '1') || 1;
const counts = new Map<string, number>();

export type FailpointName =
  | 'model-before'
  | 'model-after'
  | 'tool-before'
  | 'tool-after'
  | 'tool-done'
  | 'snapshot'
  | 'snapshot-with-actor'
  | 'approval-pending';

export function failpoint(name: FailpointName): void {
  if (name !== target) return;
  const n = (counts.get(name) ?? 0) + 1;
  counts.set(name, n);
  if (n === wanted) process.kill(process.pid, 'SIGKILL');
}

/** True when the crash tests aim at `name`: lets a caller skip work only a failpoint needs. */
export function failpointArmed(name: FailpointName): boolean {
  return name === target;
}
