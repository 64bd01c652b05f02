import { formatFinding, type Severity } from './findings';
import type { ImportOutcome } from './import';

const SECTIONS: ReadonlyArray<{ severity: Severity; title: string }> = [
  { severity: 'error', title: 'エラー（直すまで取り込めません）' },
  { severity: 'decision', title: '要判断（overrides ファイルで決めてください）' },
  { severity: 'warning', title: '注意（確かめてください）' },
  { severity: 'info', title: '処理の記録' },
];

const FORMAT_NAMES = { text: 'テキスト', csv: 'CSV', xlsx: 'Excel', json: '計画マスタ JSON' } as const;

export interface ReportContext {
  source: string;
  overrides?: string;
  directory: string;
  /** Where the master was written; absent when the import stopped. */
  written?: string;
}

/** The import report: every anomaly with its item number and what was done, in Japanese. */
export function renderImportReport(outcome: ImportOutcome, ctx: ReportContext): string {
  const lines = ['# 実施計画の取込結果', ''];
  lines.push(`- 元ファイル: ${ctx.source}${outcome.format ? `（${FORMAT_NAMES[outcome.format]}）` : ''}`);
  lines.push(`- 判断ファイル（overrides）: ${ctx.overrides ?? 'なし'}`);
  lines.push(`- 課の名簿: ${ctx.directory}`);
  const { plan } = outcome;
  if (plan && ctx.written) {
    lines.push(`- 結果: 取り込みました。第${plan.version}版、${plan.items.length}項目、計画期間 ${plan.period.from}〜${plan.period.to} → ${ctx.written}`);
  } else {
    const count = (s: Severity) => outcome.findings.filter((f) => f.severity === s).length;
    lines.push(`- 結果: 取り込めませんでした（エラー${count('error')}件、要判断${count('decision')}件）。何も書き込んでいません。`);
  }
  for (const { severity, title } of SECTIONS) {
    // Stable sort: findings of the whole file first, then by item number in reading order.
    const found = outcome.findings.filter((f) => f.severity === severity).sort((a, b) => (a.no ?? 0) - (b.no ?? 0));
    if (found.length === 0) continue;
    lines.push('', `## ${title}: ${found.length}件`, '');
    for (const f of found) lines.push(`- ${formatFinding(f)}`);
  }
  return `${lines.join('\n')}\n`;
}
