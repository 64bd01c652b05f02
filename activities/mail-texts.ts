import type { DivisionRole } from '../domain/cycle';
import type { RungKind } from '../domain/escalation-policy';
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import { japaneseDateTime } from '../domain/japanese-date';
import type { AreaSummary } from '../sheets/consolidated-table';

/** Every mail the service sends, in Japanese, in one place. */

export interface MailContext {
  municipalityName: string;
  planTitle: string;
  year: string;
  divisionName: string;
  reformOfficeName: string;
  reformOfficeAddress: string;
  /** The division's own page, where it can also download its sheet and upload the filled one. */
  pageUrl?: string;
}

/** How a division hands in its return, said in every mail that asks for one. */
function howToReturn(ctx: MailContext): string[] {
  return ctx.pageUrl ? ['', '提出は、このメールに様式を添付して返信するか、次の専用ページからアップロードしてください（回答の状況もこのページで確認できます）:', ctx.pageUrl] : [];
}

const yearLabel = (year: string) => fiscalYearLabel(parseFiscalYear(year));

function signature(ctx: MailContext): string {
  return ['', '――――――――――――――――', `${ctx.municipalityName} ${ctx.reformOfficeName}（行革担当）`, `問合せ先: ${ctx.reformOfficeAddress}`, '（このメールは torimatome から送信しています）'].join('\n');
}

export function requestMail(ctx: MailContext, detail: { role: DivisionRole; deadline: string; answers: number; readonly: number }): { subject: string; text: string } {
  const year = yearLabel(ctx.year);
  if (detail.role === 'inform') {
    return {
      subject: `【お知らせ】${year} ${ctx.planTitle}の取組状況の照会について（${ctx.divisionName}）`,
      text: [
        `${ctx.divisionName} 御中`,
        '',
        `${year}の${ctx.planTitle}の取組状況を照会しています。`,
        `${ctx.divisionName}が関わる項目（${detail.readonly}件）は、主担当の課が回答します。`,
        '参考までに、該当項目の様式を添付します。回答は不要です。',
        signature(ctx),
      ].join('\n'),
    };
  }
  return {
    subject: `【依頼】${year} ${ctx.planTitle}の取組状況について（${ctx.divisionName}）`,
    text: [
      `${ctx.divisionName} 御中`,
      '',
      `${year}の${ctx.planTitle}について、取組状況の回答をお願いします。`,
      '',
      `1. 添付の様式（Excel）を開き、黄色のセルに${year}末時点の取組状況の記号（○ △ × -）と取組状況の文を入力してください（${detail.answers}項目）。`,
      detail.readonly > 0 ? `   灰色の行（${detail.readonly}項目）は他の課が主担当のため、参考として表示しています。入力は不要です。` : '',
      '2. 様式の名前や列は変えずに保存し、このメールに添付して返信してください。',
      '',
      `提出期限: ${japaneseDateTime(detail.deadline)}`,
      '',
      '入力に誤りがある場合は、どのセルをどう直せばよいかをすぐにお知らせします。',
      ...howToReturn(ctx),
      signature(ctx),
    ]
      .filter((line, i, all) => line !== '' || all[i - 1] !== '')
      .join('\n'),
  };
}

/** What a result mail says in place of the whole table, once that is too large to send to everyone. */
export interface ResultDigest {
  /** The division's rows of the consolidated table, as in its sheet. */
  items: Array<{
    no: number;
    initiative: string;
    /** The year's ratings and figures on one line (Arao's: its mark alone). */
    values: string;
    /** The year's texts, each on a line of its own. */
    texts: string[];
    answers: boolean;
  }>;
  summary: AreaSummary;
  tableBytes: number;
}

const fileSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)}MB` : `${Math.ceil(bytes / 1024)}KB`);

function digestLines(ctx: MailContext, digest: ResultDigest): string[] {
  const { years, measures, areas, total } = digest.summary;
  const counts = (of: number[]) => measures.map((measure, m) => `${measure.label} ${years.map((_, y) => of[m * years.length + y]!.toLocaleString('ja-JP')).join('→')}`).join('、');
  const groups = [...new Set(measures.map((measure) => measure.group))].join('・');
  return [
    `取りまとめた実施状況表（全体）は大きいため（${fileSize(digest.tableBytes)}）添付せず、${ctx.divisionName}の項目と集計をこのメールに記載します。`,
    `全体の表は${ctx.reformOfficeName}が保管しています。必要な場合はお問い合わせください。`,
    '',
    `■ ${ctx.divisionName}の項目（${digest.items.length}件）`,
    ...digest.items.flatMap((item) => [
      `整理番号${item.no} ${item.initiative}: ${item.values || '（空欄）'}${item.answers ? '' : '（主担当は他の課）'}`,
      ...item.texts.filter((text) => text !== '').map((text) => `  ${text.replace(/\s*\n\s*/g, ' ')}`),
    ]),
    '',
    `■ 集計（基本方針ごとの${groups}${years.length > 1 ? `、${years.join('→')}` : `、${years[0]}`}）`,
    ...areas.map(({ area, values }) => `${area}: ${counts(values)}`),
    `合計: ${counts(total)}`,
  ];
}

export function resultMail(ctx: MailContext, detail: { returned: number; notReturned: number; digest?: ResultDigest }): { subject: string; text: string } {
  const year = yearLabel(ctx.year);
  return {
    subject: `【取りまとめ結果】${year} ${ctx.planTitle}の取組状況`,
    text: [
      `${ctx.divisionName} 御中`,
      '',
      `${year}の${ctx.planTitle}の取組状況の照会を締め切り、取りまとめました。`,
      `回答 ${detail.returned}課、未提出 ${detail.notReturned}課。`,
      ...(detail.digest ? [...digestLines(ctx, detail.digest), '', 'ご協力ありがとうございました。'] : ['取りまとめた実施状況表を添付します。ご協力ありがとうございました。']),
      signature(ctx),
    ].join('\n'),
  };
}

export function sendBackMail(
  ctx: MailContext,
  detail: { comments: Array<{ no: number; initiative: string; comment: string }>; deadline: string; sentBackBy: string },
): { subject: string; text: string } {
  const year = yearLabel(ctx.year);
  return {
    subject: `【差戻し】${year} ${ctx.planTitle}の取組状況の回答について（${ctx.divisionName}）`,
    text: [
      `${ctx.divisionName} 御中`,
      '',
      `ご提出いただいた${year}の取組状況の回答について、次の点を確認のうえ、再提出をお願いします。`,
      '',
      ...detail.comments.map((c) => `・整理番号${c.no}「${c.initiative}」: ${c.comment}`),
      '',
      '前回の回答を入力済みの様式を添付します。指摘の箇所を直し、このメールに添付して返信してください（前回の様式は使えません）。',
      `提出期限: ${japaneseDateTime(detail.deadline)}`,
      `（差戻し: ${detail.sentBackBy}）`,
      ...howToReturn(ctx),
      signature(ctx),
    ].join('\n'),
  };
}

export function rungMail(ctx: MailContext, detail: { kind: RungKind; deadline: string; rung: number }): { subject: string; text: string } {
  const year = yearLabel(ctx.year);
  const due = japaneseDateTime(detail.deadline);
  const subjects: Record<RungKind, string> = {
    reminder: `【督促】${year} ${ctx.planTitle}の取組状況の回答期限が近づいています（${ctx.divisionName}）`,
    overdue: `【期限超過】${year} ${ctx.planTitle}の取組状況が未提出です（${ctx.divisionName}）`,
    escalation: `【上長報告】${ctx.divisionName}の${year} ${ctx.planTitle}の取組状況が未提出です`,
  };
  const bodies: Record<RungKind, string[]> = {
    reminder: [`${ctx.divisionName} 御中`, '', `${year}の${ctx.planTitle}の取組状況の回答期限（${due}）が近づいています。`, '先にお送りした様式に入力し、メールに添付して返信してください。'],
    overdue: [`${ctx.divisionName} 御中（課長 様）`, '', `${year}の${ctx.planTitle}の取組状況の回答が、期限（${due}）を過ぎても届いていません。`, '至急、先にお送りした様式に入力して提出してください。'],
    escalation: [
      '関係各位',
      '',
      `${ctx.divisionName}から、${year}の${ctx.planTitle}の取組状況の回答が期限（${due}）を過ぎても届いていません。`,
      `${ctx.divisionName}への提出の指示をお願いします（この連絡は${detail.rung}段目です）。`,
    ],
  };
  return { subject: subjects[detail.kind], text: [...bodies[detail.kind], ...howToReturn(ctx), signature(ctx)].join('\n') };
}
