/**
 * Every way a return can be refused, with the Japanese message the division reads. New checks
 * add an entry here, so that codes stay unique and messages stay in one voice.
 */
import { fiscalYearLabel, parseFiscalYear } from '../domain/fiscal-year';
import type { RatingScale, RatingValue } from '../domain/collection-definition';
import { FORMULA_CELL, UNSUPPORTED_CELL } from '../master/xlsx-cell';
import { META_SHEET } from './return-sheet-layout';

export interface ReturnProblem {
  code: string;
  /** Japanese; names the cell and the item where there is one. */
  message: string;
  /** Address such as `P12`. */
  cell?: string;
  no?: number;
}

export interface ProblemKind<A extends unknown[]> {
  code: string;
  message: (...args: A) => string;
}

const kind = <A extends unknown[]>(code: string, message: (...args: A) => string): ProblemKind<A> => ({ code, message });

interface SheetIdentity {
  cycleId: string;
  year: string;
  divisionId: string;
  divisionName: string;
  sheetVersion: number;
}

const yearLabel = (year: string) => fiscalYearLabel(parseFiscalYear(year));

export const RETURN_PROBLEMS = {
  notXlsx: kind('not-xlsx', () => 'Excelファイル（.xlsx）として読めません。お送りした回答様式に入力し、そのまま提出してください'),
  otherForm: kind('other-form', () => '他の様式のファイルです。お送りした回答様式に入力して提出してください'),
  otherCycle: kind('other-cycle', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは別の調査（${yearLabel(found.year)}、調査ID ${found.cycleId}）の回答様式です。` +
    `${yearLabel(expected.year)}の調査（調査ID ${expected.cycleId}）の回答様式に入力してください`),
  otherDivision: kind('other-division', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは${found.divisionName}（${found.divisionId}）の回答様式です。` +
    `${expected.divisionName}（${expected.divisionId}）の回答様式に入力してください`),
  outdatedSheet: kind('outdated-sheet', (found: SheetIdentity, expected: SheetIdentity) =>
    `このファイルは${found.sheetVersion < expected.sheetVersion ? '古い' : '別の版の'}回答様式（第${found.sheetVersion}版）です。` +
    `最新の回答様式（第${expected.sheetVersion}版）に入力し直してください`),
  missingSheet: kind('missing-sheet', (name: string) => `シート「${name}」がありません。お送りした回答様式のシートを消したり名前を変えたりせずに提出してください`),
  missingItemRow: kind('missing-item-row', () => 'この取組の行が回答様式にありません。最新の回答様式に入力し直してください'),
  missingMark: kind('missing-mark', (scale: RatingScale) => `${scale.name}の記号が入力されていません`),
  unknownMark: kind('unknown-mark', (scale: RatingScale, value: string) =>
    `${scale.name}の記号「${value}」は使えません（${scale.values.map((v) => v.symbol).join(' ')} のいずれかを選んでください）`),
  missingStatusText: kind('missing-status-text', (header: string) => `「${header}」が入力されていません`),
  missingFigure: kind('missing-figure', (header: string) => `「${header}」が入力されていません`),
  notAFigure: kind('not-a-figure', (header: string, value: string) =>
    `「${header}」の「${value}」は数値として読めません。数字だけを入力してください（全角の数字、桁区切りのカンマ、マイナスを表す▲も読めます）`),
  figureOutOfRange: kind('figure-out-of-range', (header: string, value: number, range: string) => `「${header}」の ${value} は入力できる範囲（${range}）の外です`),
  tooManyDecimals: kind('too-many-decimals', (header: string, value: number, decimals: number) =>
    decimals === 0 ? `「${header}」の ${value} は整数で入力してください` : `「${header}」の ${value} は小数${decimals}桁までで入力してください`),
  formulaCell: kind(FORMULA_CELL.code, () => FORMULA_CELL.message),
  unsupportedCell: kind(UNSUPPORTED_CELL.code, () => UNSUPPORTED_CELL.message),

  // What the file is, told from its bytes, before anything parses it.
  emptyFile: kind('empty-file', () => 'ファイルが空です（0バイト）。回答様式に入力して保存したファイルを添付してください'),
  fileTooLarge: kind('file-too-large', (size: number, limit: number) =>
    `ファイルが大きすぎます（${megabytes(size)}。上限は${megabytes(limit)}です）。` +
    'お送りした回答様式に入力したファイルは通常1MBに満たない大きさです。画像などを貼り付けずに、回答様式に入力して提出してください'),
  xlsFile: kind('xls-file', () =>
    'Excel 97-2003形式（.xls）のファイルです。お送りした回答様式（.xlsx）に入力し、「Excelブック（*.xlsx）」の形式のまま保存して提出してください'),
  encryptedFile: kind('encrypted-file', () =>
    'パスワードで保護（暗号化）されたファイルは読めません。「ファイル」→「情報」→「ブックの保護」→「パスワードを使用して暗号化」でパスワードを消してから提出してください'),
  textFile: kind('text-file', () =>
    'CSVやテキストなど、Excelブックではない形式のファイルです。お送りした回答様式（.xlsx）に入力し、そのまま提出してください'),
  macroFile: kind('macro-file', () =>
    'マクロ有効ブック（.xlsm）のファイルです。マクロは読みません。お送りした回答様式に入力し、「Excelブック（*.xlsx）」の形式で保存して提出してください'),
  strictXlsx: kind('strict-xlsx', () =>
    '「Strict Open XML スプレッドシート」形式で保存されたファイルです。お送りした回答様式に入力し、「Excelブック（*.xlsx）」の形式で保存して提出してください'),
  odsFile: kind('ods-file', () =>
    'OpenDocument形式（.ods）のファイルです。「Excel 2007-365（.xlsx）」の形式で保存して提出してください'),
  corruptFile: kind('corrupt-file', () => 'ファイルが壊れていて開けません。回答様式をもう一度保存し、そのファイルを提出してください'),

  // The zip container of an xlsx, checked before the workbook is opened.
  tooManyParts: kind('too-many-parts', (count: number, limit: number) =>
    `ファイルの構成要素が多すぎます（${count}個。上限は${limit}個です）。お送りした回答様式に入力して提出してください`),
  partTooLarge: kind('part-too-large', (part: string, size: number, limit: number) =>
    `ファイル内の「${part}」は展開すると${megabytes(size)}になり、上限（${megabytes(limit)}）を超えます。お送りした回答様式に入力して提出してください`),
  expandedTooLarge: kind('expanded-too-large', (size: number, limit: number) =>
    `ファイル全体を展開すると${megabytes(size)}以上になり、上限（${megabytes(limit)}）を超えます。お送りした回答様式に入力して提出してください`),
  partSizeMismatch: kind('part-size-mismatch', (part: string) =>
    `ファイル内の「${part}」の大きさの記録が中身と合いません（壊れているか、手を加えられたファイルです）。回答様式をもう一度保存し、そのファイルを提出してください`),
  partCrcMismatch: kind('part-crc-mismatch', (part: string) =>
    `ファイル内の「${part}」が壊れています（中身が保存時の検査値（CRC-32）と合いません。壊れたか、保存の後で手を加えられたファイルです）。` +
    'このファイルは読みません。お送りした回答様式をExcelで開いて保存し直し、そのファイルを提出してください'),
  duplicatePart: kind('duplicate-part', (part: string) =>
    `ファイル内に「${part}」が2つあり、どちらが回答なのか決められません（壊れたか、手を加えられたファイルです）。` +
    'このファイルは読みません。お送りした回答様式をExcelで開いて保存し直し、そのファイルを提出してください'),
  xmlDoctype: kind('xml-doctype', (part: string) =>
    `ファイル内の「${part}」にDOCTYPE宣言があります。Excelが保存するファイルにはないもので、安全のため読みません。お送りした回答様式に入力し、Excelで保存して提出してください`),

  // Reading the workbook, in a process of its own.
  readTimeout: kind('read-timeout', (seconds: number) =>
    `ファイルを読み取れませんでした（時間切れ：${seconds}秒以内に読み終わりませんでした）。お送りした回答様式に入力し、保存し直したファイルを提出してください`),
  readMemory: kind('read-memory', (limitMb: number) =>
    `ファイルを読み取れませんでした（メモリの上限${limitMb}MBを超えました）。お送りした回答様式に入力し、保存し直したファイルを提出してください`),
  readFailed: kind('read-failed', () =>
    'ファイルを読み取れませんでした（読み取りが異常終了しました）。お送りした回答様式に入力し、保存し直したファイルを提出してください'),

  // The sheet's structure, against what the metadata sheet says was sent.
  missingMetaSheet: kind('missing-meta-sheet', () =>
    `非表示のシート「${META_SHEET}」がありません。お送りした回答様式のシートを消さずに、そのファイルに入力して提出してください`),
  changedMetaSheet: kind('changed-meta-sheet', () =>
    `非表示のシート「${META_SHEET}」が変更されています。お送りした回答様式に入力し直してください`),
  renamedSheet: kind('renamed-sheet', (name: string, found: string) =>
    `シート「${name}」の名前が${shown(found)}に変わっています。シート名を「${name}」に戻して提出してください`),
  changedHeader: kind('changed-header', (original: string, found: string) =>
    `見出しが${shown(original)}から${shown(found)}に変わっています。列を追加・削除・移動せずに、お送りした回答様式のまま入力してください`),
  movedHeader: kind('moved-header', (from: number, to: number) =>
    `表の見出しの行が${from}行目から${to}行目に移っています。表の上の行を追加・削除せずに、お送りした回答様式のまま入力してください`),
  prefilledChanged: kind('prefilled-changed', (header: string, original: string, found: string) =>
    `「${header}」が変更されています（元の値${shown(original)}、提出された値${shown(found)}）。` +
    '入力できるのは黄色のセルだけです。元に戻して提出してください'),
  addedRow: kind('added-row', (first: number, last: number) =>
    `回答様式にない行があります（${first === last ? `${first}行目` : `${first}〜${last}行目`}）。行を追加・コピーせずに、お送りした回答様式のまま入力してください`),
  deletedRow: kind('deleted-row', (row: number) =>
    `この取組の行（${row}行目）が見つかりません。行を削除せずに、お送りした回答様式のまま入力してください`),
  movedRow: kind('moved-row', (from: number, to: number) =>
    `この取組の行が${from}行目から${to}行目に移動しています。行を並べ替えずに、お送りした回答様式のまま入力してください`),
  statusTextTooLong: kind('status-text-too-long', (name: string, length: number, limit: number) =>
    `${name}が${length.toLocaleString('ja-JP')}文字あります。${limit.toLocaleString('ja-JP')}文字以内にしてください`),
  moreProblems: kind('more-problems', (count: number) => `ほかに${count}件の問題があります。お送りした回答様式に入力し直してください`),
};

/** `50.0MB`: sizes as a division's staff reads them in Explorer (MB = 1,048,576 bytes). */
function megabytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)}MB`;
}

/** Longest value a message quotes; a cell can hold 32,767 characters, which no message should repeat. */
export const SHOWN_VALUE_LENGTH = 40;

/** The first SHOWN_VALUE_LENGTH characters of a value and an ellipsis, or the value when it is short. */
export function cutShort(value: string): string {
  const chars = [...value];
  return chars.length > SHOWN_VALUE_LENGTH ? `${chars.slice(0, SHOWN_VALUE_LENGTH).join('')}…` : value;
}

/** A value quoted in a message: `「…」`, on one line, cut short when long, `（空欄）` when empty. */
export function shown(value: string): string {
  return value === '' ? '（空欄）' : `「${cutShort(value.replace(/\r?\n/g, '↵'))}」`;
}

/** A problem with the file as a whole. */
export function fileProblem<A extends unknown[]>(problem: ProblemKind<A>, ...args: A): ReturnProblem {
  return { code: problem.code, message: problem.message(...args) };
}

/** A problem with an item that has no cell to point at. */
export function itemProblem<A extends unknown[]>(problem: ProblemKind<A>, no: number, ...args: A): ReturnProblem {
  return { code: problem.code, message: `整理番号${no}: ${problem.message(...args)}`, no };
}

/** A problem with a cell that belongs to no item (a header, an added row): `セル K7: …`. */
export function sheetCellProblem<A extends unknown[]>(problem: ProblemKind<A>, cell: string, ...args: A): ReturnProblem {
  return { code: problem.code, message: `セル ${cell}: ${problem.message(...args)}`, cell };
}

/** A problem with one cell of an item's row: `セル P12（整理番号14）: …`. */
export function cellProblem<A extends unknown[]>(problem: ProblemKind<A>, at: { cell: string; no: number }, ...args: A): ReturnProblem {
  return { code: problem.code, message: `セル ${at.cell}（整理番号${at.no}）: ${problem.message(...args)}`, cell: at.cell, no: at.no };
}

/**
 * 確認事項: not refusals but values that look wrong and may be right; the return is held until
 * the division explains each.
 */
/** Below this many characters a status text does not say what was done. */
export const SHORT_TEXT = 20;

export const RETURN_WARNINGS = {
  markBackwards: kind('mark-backwards', (scale: RatingScale, before: string, now: string) => `${scale.name}が前年度の「${before}」から「${now}」に下がっています。理由を説明してください`),
  doneWhileStudying: kind('done-while-studying', (best: RatingValue) => `スケジュールでは今年度は「検討」ですが、「${best.symbol}」（${best.label}）になっています。内容を確かめ、説明してください`),
  notYetWhileScheduled: kind('not-yet-while-scheduled', (notYetDue: RatingValue) => `スケジュールでは今年度は「実施」ですが、「${notYetDue.symbol}」（${notYetDue.label}）になっています。理由を説明してください`),
  sameTextAsLastYear: kind('same-text-as-last-year', (name: string) => `${name}が前年度と同じです。今年度の状況を書くか、同じである理由を説明してください`),
  shortText: kind('short-text', (name: string, length: number) => `${name}が短すぎます（${length}文字）。今年度の取組が分かるように書くか、理由を説明してください`),
  figureFarFromLastYear: kind('figure-far-from-last-year', (name: string, before: string, now: string, low: number, high: number) =>
    `${name}が前年度の${before}から${now}に変わっています（前年度の${low}倍〜${high}倍の外です）。値を確かめ、説明してください`),
  figureBelow: kind('figure-below', (name: string, now: string, bound: string) => `${name}が${now}で、${bound}を下回っています。値を確かめ、説明してください`),
  figureAbove: kind('figure-above', (name: string, now: string, bound: string) => `${name}が${now}で、${bound}を上回っています。値を確かめ、説明してください`),
  rateAbove: kind('rate-above', (name: string, rate: string, bound: number) => `${name}の達成率が${rate}％で、${bound}％を超えています。目標と実績を確かめ、説明してください`),
};
