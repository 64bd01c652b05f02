import type { Finding } from './findings';
import type { LabelKind, Overrides } from './overrides';
import type { SeedRow } from './seed-text';

/**
 * Area (基本方針) and policy (施策) cells are merged over several rows in the PDF, and the
 * export kept each label on one row of its span only. This module decides what a lone label
 * is and carries every label across the rows of its span.
 */

export interface RowGrouping {
  no: number;
  area: string;
  policy: string;
}

const AREA_SHAPE = /^\S{1,12}マネジメント$/;

/**
 * Every area the table spells out is "<something>マネジメント" (地域マネジメント); a label that
 * uses the word inside a longer phrase names a policy about it. Other lone labels could be
 * either, and a person decides.
 */
function classifyLoneLabel(row: SeedRow, label: string, overrides: Overrides, findings: Finding[]): LabelKind | undefined {
  const settled = overrides.loneLabels[String(row.no)];
  if (settled) {
    findings.push({ severity: 'info', code: 'lone-label-settled', no: row.no, line: row.line, message: `「${label}」を${kindName(settled.kind)}としました（overrides: ${settled.reason}）` });
    return settled.kind;
  }
  if (AREA_SHAPE.test(label)) {
    findings.push({ severity: 'info', code: 'lone-label-classified', no: row.no, line: row.line, message: `ひとつだけ残った見出し「${label}」を、「…マネジメント」の形から基本方針と判断しました` });
    return 'area';
  }
  if (label.includes('マネジメント')) {
    findings.push({ severity: 'info', code: 'lone-label-classified', no: row.no, line: row.line, message: `ひとつだけ残った見出し「${label}」を、マネジメントを語る文の形から施策と判断しました` });
    return 'policy';
  }
  findings.push({
    severity: 'decision',
    code: 'lone-label-ambiguous',
    no: row.no,
    line: row.line,
    message: `見出し「${label}」が基本方針か施策か、文面からは決められません。overrides ファイルの loneLabels に "${row.no}": { "kind": "area" または "policy", "reason": "…" } と書いて決めてください`,
  });
  return undefined;
}

function kindName(kind: LabelKind): string {
  return kind === 'area' ? '基本方針' : '施策';
}

function nos(rows: readonly SeedRow[]): string {
  const first = rows[0]!.no;
  const last = rows[rows.length - 1]!.no;
  return first === last ? `整理番号${first}` : `整理番号${first}〜${last}`;
}

interface Label {
  row: SeedRow;
  text: string;
}

/**
 * Carries each label down to the rows after it, up to the next label of the same kind; rows
 * before the first label of a span get `before`. Rows between two labels could belong to
 * either, so the report says so.
 */
function carry(kind: LabelKind, rows: readonly SeedRow[], labels: readonly Label[], before: string | undefined, findings: Finding[]): string[] {
  const values: string[] = [];
  labels.forEach((label, i) => {
    const from = rows.indexOf(label.row);
    const to = i + 1 < labels.length ? rows.indexOf(labels[i + 1]!.row) : rows.length;
    const span = rows.slice(from, to);
    if (span.length > 1) {
      findings.push({ severity: 'info', code: 'label-carried', no: label.row.no, message: `${kindName(kind)}「${label.text}」を${nos(span)}に引き継ぎました` });
    }
    const next = labels[i + 1];
    if (next && to - from > 1) {
      findings.push({
        severity: 'warning',
        code: 'label-span-ambiguous',
        no: label.row.no,
        message: `${nos(rows.slice(from + 1, to))}は${kindName(kind)}「${label.text}」（整理番号${label.row.no}）としましたが、「${next.text}」（整理番号${next.row.no}）の範囲かもしれません。違う場合は overrides ファイルの items で ${kind} を指定してください`,
      });
    }
  });
  const firstAt = labels.length > 0 ? rows.indexOf(labels[0]!.row) : rows.length;
  const head = rows.slice(0, firstAt);
  if (head.length > 0) {
    if (before === undefined) {
      findings.push({ severity: 'warning', code: 'label-missing', no: head[0]!.no, message: `${nos(head)}には${kindName(kind)}の記載がありません（空欄としました）` });
    } else {
      findings.push({ severity: 'info', code: 'label-carried', no: head[0]!.no, message: `${nos(head)}に${kindName(kind)}「${before}」を引き継ぎました` });
    }
  }
  for (const row of rows) {
    const own = [...labels].reverse().find((l) => rows.indexOf(l.row) <= rows.indexOf(row));
    values.push(own ? own.text : before ?? '');
  }
  return values;
}

/**
 * Areas are carried within a page (each page of the R4 table holds its areas' whole spans),
 * up to the page's first rows too, since a merged label tends to sit mid-span; a page
 * without one continues the area of the page before. Policies are carried within an
 * area's rows only.
 */
export function groupRows(rows: readonly SeedRow[], overrides: Overrides, findings: Finding[]): RowGrouping[] | undefined {
  const areaLabels: Label[] = [];
  const policyLabels: Label[] = [];
  let undecided = false;
  for (const row of rows) {
    if (row.labels.kind === 'both') {
      if (row.labels.area) areaLabels.push({ row, text: row.labels.area });
      if (row.labels.policy) policyLabels.push({ row, text: row.labels.policy });
    } else if (row.labels.kind === 'lone') {
      const kind = classifyLoneLabel(row, row.labels.label, overrides, findings);
      if (kind === 'area') areaLabels.push({ row, text: row.labels.label });
      else if (kind === 'policy') policyLabels.push({ row, text: row.labels.label });
      else undecided = true;
    }
  }
  if (undecided) return undefined;

  const areas = new Map<SeedRow, string>();
  let previous: string | undefined;
  for (const page of [...new Set(rows.map((r) => r.page))]) {
    const pageRows = rows.filter((r) => r.page === page);
    const labels = areaLabels.filter((l) => l.row.page === page);
    const values = carry('area', pageRows, labels, labels[0]?.text ?? previous, findings);
    pageRows.forEach((r, i) => areas.set(r, values[i]!));
    previous = values[values.length - 1];
  }

  const policies = new Map<SeedRow, string>();
  let spanStart = 0;
  for (let i = 1; i <= rows.length; i++) {
    if (i < rows.length && areas.get(rows[i]!) === areas.get(rows[spanStart]!)) continue;
    const span = rows.slice(spanStart, i);
    const values = carry('policy', span, policyLabels.filter((l) => span.includes(l.row)), undefined, findings);
    span.forEach((r, j) => policies.set(r, values[j]!));
    spanStart = i;
  }
  return rows.map((r) => ({ no: r.no, area: areas.get(r)!, policy: policies.get(r)! }));
}
