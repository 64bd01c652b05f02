/**
 * What an import found, in the reform office's words. `error` stops the import whatever the
 * overrides say; `decision` stops it until the overrides file settles it; `warning` is written
 * and should be read; `info` records what was repaired or carried.
 */
export type Severity = 'error' | 'decision' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Stable code for tests and for grouping in the report. */
  code: string;
  /** 整理番号 of the plan item, where the finding belongs to one. */
  no?: number;
  /** Line of a text file or row of a sheet, 1-based. */
  line?: number;
  /** Japanese: what was found and what was done, or how to settle it. */
  message: string;
}

export function stops(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error' || f.severity === 'decision');
}

const SEVERITY_LABELS: Record<Severity, string> = {
  error: 'エラー',
  decision: '要判断',
  warning: '注意',
  info: '処理',
};

/** One line per finding: `[要判断] 整理番号14（行33）: …`. */
export function formatFinding(f: Finding): string {
  const where = [f.no !== undefined ? `整理番号${f.no}` : '', f.line !== undefined ? `${f.no !== undefined ? '（' : ''}行${f.line}${f.no !== undefined ? '）' : ''}` : '']
    .join('');
  return `[${SEVERITY_LABELS[f.severity]}] ${where ? `${where}: ` : ''}${f.message}`;
}
