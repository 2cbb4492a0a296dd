/** The fuzzer's outcome table and its list of distinct failures, as text for a terminal. */
import type { Failure, FuzzReport } from './runner.ts';
import { blankDetails } from './runner.ts';
import { OUTCOMES } from './protocol.ts';

/** The command that remakes and reruns one case. */
export function reproduction(f: Failure, seed: number): string {
  return `npm run fuzz -- --format ${f.format} --seed ${seed} --case ${f.index}${f.saved ? `   (or --replay ${f.saved} --format ${f.format})` : ''}`;
}

/** Failures that are the same bug: same format, outcome, frame and message once numbers and paths are blanked. */
export function distinctFailures(failures: Failure[]): { key: string; first: Failure; count: number }[] {
  const groups = new Map<string, { key: string; first: Failure; count: number }>();
  for (const f of failures) {
    const message = blankDetails(f.result.message);
    const key = `${f.format} | ${f.result.outcome} | ${f.result.frame ?? ''} | ${f.result.outcome === 'internal' ? message : ''}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { key, first: f, count: 1 });
  }
  return [...groups.values()];
}

export function formatTable(report: FuzzReport): string {
  const header = ['format', ...OUTCOMES, 'seconds', 'refusals by exit code'];
  const rows = report.summaries.map((s) => [
    s.format, ...OUTCOMES.map((o) => String(s.counts[o])), s.seconds.toFixed(1),
    Object.entries(s.exitCodes).map(([code, n]) => `${code}:${n}`).join(' '),
  ]);
  const total = OUTCOMES.map((o) => String(report.summaries.reduce((n, s) => n + s.counts[o], 0)));
  rows.push(['total', ...total, report.seconds.toFixed(1), '']);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 || i === r.length - 1 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The checks that refused the cases of each format, most frequent first. */
export function formatRefusals(report: FuzzReport, top = 15): string {
  const out: string[] = [];
  for (const s of report.summaries) {
    const sorted = [...s.refusals].sort((a, b) => b[1] - a[1]);
    out.push(`${s.format}: ${sorted.length} distinct refusals`);
    for (const [shape, n] of sorted.slice(0, top)) out.push(`  ${String(n).padStart(6)}  exit ${shape}`);
  }
  return out.join('\n');
}

export function formatReport(report: FuzzReport, refusals = false): string {
  const out = [`fuzz: seed ${report.seed}, ${report.cases} cases per format, ${report.seconds.toFixed(1)} s`, '', formatTable(report)];
  if (refusals) out.push('', formatRefusals(report));
  const problems = report.summaries.flatMap((s) => s.seedProblems.map((p) => `${s.format}: ${p}`));
  if (problems.length) out.push('', 'seeds not accepted (a valid file refused, or a seed writer out of date):', ...problems.map((p) => `  ${p}`));
  const distinct = distinctFailures(report.failures);
  if (report.failures.length) {
    out.push('', `${report.failures.length} failing cases, ${distinct.length} distinct:`);
    for (const d of distinct) {
      const r = d.first.result;
      out.push(`  [${d.first.format}] ${r.outcome.toUpperCase()} ×${d.count}: ${r.message}${r.frame ? `  @ ${r.frame}` : ''}`);
      out.push(`      case ${d.first.index} (${d.first.origin}): ${reproduction(d.first, report.seed)}`);
    }
    out.push('', 'every failing case:');
    for (const f of report.failures) out.push(`  ${f.format} seed ${report.seed} case ${f.index} ${f.result.outcome}: ${f.result.message.slice(0, 160)}${f.saved ? `  saved ${f.saved}` : ''}`);
  }
  return out.join('\n');
}
