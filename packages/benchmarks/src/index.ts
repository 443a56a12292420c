/** What a `*.bench.ts` file exports by default: it runs and returns tables to print. */
export interface BenchmarkReport {
  title: string;
  /** Notes printed under the title: setup, machine, caveats. */
  notes?: string[];
  tables: Array<{ caption?: string; columns: string[]; rows: Array<Array<string | number>> }>;
}

export type Benchmark = (options: { quick: boolean }) => Promise<BenchmarkReport>;

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits);
}

export function renderMarkdown(report: BenchmarkReport): string {
  const lines = [`## ${report.title}`, ''];
  for (const note of report.notes ?? []) lines.push(`- ${note}`);
  if (report.notes?.length) lines.push('');
  for (const table of report.tables) {
    if (table.caption) lines.push(`**${table.caption}**`, '');
    lines.push(`| ${table.columns.join(' | ')} |`, `| ${table.columns.map(() => '---').join(' | ')} |`);
    for (const row of table.rows) lines.push(`| ${row.join(' | ')} |`);
    lines.push('');
  }
  return lines.join('\n');
}

export { collectGarbage, pinToCpus, processCpuMs, serveBenchProcess, settledProcessMemory, spawnBenchProcess, startScriptNodeFlags, type BenchProcess } from './processes.js';
/** Builds a service as `pnpm build` does, for benchmarks that run it as deployed. */
export { buildService } from '@voiceassist/service-build';
