import { z } from 'zod';
import { issuePath } from './issue-path';

/**
 * What a city's yearly collection asks and how its table reads (照会様式の定義): the rating
 * scales, the fields a division answers each year, and the columns of the consolidated table
 * and of its summary. A reform office writes it as JSON beside its plan master, so every
 * refusal is in Japanese and names the place in that JSON. Pure, so that workflows may import it.
 */

const FieldId = z
  .string({ error: '名前（id）は文字列で書いてください' })
  .regex(/^[a-z][A-Za-z0-9]{0,39}$/, { error: (issue) => `名前（id）「${String(issue.input)}」は半角英数字で、英小文字から始めてください` });

/** Longest text a spreadsheet cell holds (Excel's limit). */
const CELL_TEXT_LIMIT = 32767;

export const RatingValue = z.strictObject({
  /** What the division enters in the cell: `○`, `S`, `完了`. */
  symbol: z.string().min(1, { error: '記号が空です' }).max(12, { error: '記号は12文字までです' }),
  /** What the legend says it means: 実施済み, 計画以上. */
  label: z.string().min(1, { error: '意味（label）が空です' }),
  /** Look-alikes people really type for the symbol (〇 for ○, ｓ for S), read as the symbol. */
  variants: z.array(z.string().min(1, { error: '言い換えが空です' })).default([]),
});
export type RatingValue = z.infer<typeof RatingValue>;

/** A rating scale: its values from best to worst, and the one (if any) that means "not yet due". */
export const RatingScale = z.strictObject({
  id: FieldId,
  /** The scale's name in the legend and the summary: 取組状況, 達成度. */
  name: z.string().min(1, { error: '尺度の名前（name）が空です' }),
  values: z.array(RatingValue).min(2, { error: '尺度には値が2つ以上必要です' }),
  /** A symbol of `values` that is not ranked: the item is not due this year (Arao's `-`). */
  notYetDue: z.string().optional(),
});
export type RatingScale = z.infer<typeof RatingScale>;

const fieldBase = {
  id: FieldId,
  /** The column header; `{year}` stands for the year's code (R4), so that each year's column is told apart. */
  header: z
    .string()
    .min(1, { error: '見出し（header）が空です' })
    .refine((header) => header.includes('{year}'), { error: '見出し（header）には年度を表す {year} を入れてください（例: 取組状況（{year}年度末時点））' }),
  required: z.boolean({ error: 'required は true か false です' }).default(true),
  /** What messages call the field (取組状況の文); the header without its year by default. */
  name: z.string().min(1, { error: '名前（name）が空です' }).optional(),
  /** What the sheet's instructions ask for it: 年度末までの取組状況を文章で; by its kind by default. */
  guide: z.string().min(1, { error: '説明（guide）が空です' }).optional(),
};

const Bound = z.number({ error: '数値で書いてください' });
const Decimals = z.number({ error: '小数の桁数は整数です' }).int({ error: '小数の桁数は整数です' }).min(0, { error: '小数の桁数は0以上です' }).max(6, { error: '小数の桁数は6までです' });
const Rounding = z.enum(['round', 'floor', 'ceil'], { error: (issue) => `丸め方「${String(issue.input)}」は使えません（round 四捨五入, floor 切り捨て, ceil 切り上げ）` });
/** A figure far from last year's is a warning outside last × low … last × high. */
const ChangeRatio = z
  .strictObject({ low: z.number().positive({ error: '比率は正の数です' }), high: z.number().positive({ error: '比率は正の数です' }) })
  .refine((r) => r.low < 1 && r.high > 1, { error: '前年比の範囲は low < 1 < high にしてください' });

export const TextField = z.strictObject({
  ...fieldBase,
  kind: z.literal('text'),
  maxLength: z.number({ error: '文字数の上限は整数です' }).int({ error: '文字数の上限は整数です' }).min(1, { error: '文字数の上限は1以上です' }).max(CELL_TEXT_LIMIT, { error: `文字数の上限は${CELL_TEXT_LIMIT}までです（セルの上限）` }),
});

export const RatingField = z.strictObject({
  ...fieldBase,
  kind: z.literal('rating'),
  /** The id of one of the definition's scales. */
  scale: FieldId,
});

/** A figure with its unit: 効果額（千円）. A value outside min … max is refused; warnBelow/warnAbove only ask. */
export const NumberField = z.strictObject({
  ...fieldBase,
  kind: z.literal('number'),
  unit: z.string(),
  decimals: Decimals.default(0),
  min: Bound.optional(),
  max: Bound.optional(),
  warnBelow: Bound.optional(),
  warnAbove: Bound.optional(),
  changeRatio: ChangeRatio.default({ low: 0.5, high: 2 }),
});

/** A numeric goal: target and actual, and the achievement rate (達成率) computed from them. */
export const TargetActualField = z.strictObject({
  ...fieldBase,
  kind: z.literal('targetActual'),
  unit: z.string(),
  decimals: Decimals.default(0),
  min: Bound.optional(),
  max: Bound.optional(),
  /** The rate is target ÷ actual × 100 instead (a count to bring down). */
  lowerIsBetter: z.boolean().default(false),
  rateDecimals: Decimals.default(1),
  rateRounding: Rounding.default('round'),
  /** A rate above this (in %) is a warning. */
  warnRateAbove: Bound.default(100),
});

const FIELD_SCHEMAS = [RatingField, TextField, NumberField, TargetActualField] as const;
const FIELD_KINDS = FIELD_SCHEMAS.map((schema) => schema.shape.kind.value);
export const CollectionField = z.discriminatedUnion('kind', FIELD_SCHEMAS, {
  error: (issue) =>
    issue.code === 'invalid_union' ? `項目の種類（kind）「${String((issue.input as { kind?: unknown } | undefined)?.kind)}」は使えません（${FIELD_KINDS.join(', ')}）` : undefined,
});
export type CollectionField = z.infer<typeof CollectionField>;

/** The plan's own columns a table may show. */
export const PLAN_COLUMNS = ['no', 'area', 'policy', 'initiative', 'overview', 'schedule', 'divisions'] as const;

export const TableColumn = z.union(
  [
    z.strictObject({ plan: z.enum(PLAN_COLUMNS) }),
    z.strictObject({
      field: FieldId,
      /** every year the plan holds values for, or only the cycle year. */
      years: z.enum(['all', 'cycle']).default('all'),
      /** For a target/actual field: one of its three columns (all three when left out). */
      part: z.enum(['target', 'actual', 'rate']).optional(),
    }),
  ],
  { error: () => `表の列は { "plan": ${PLAN_COLUMNS.map((c) => `"${c}"`).join(' | ')} } か { "field": 項目の名前 } です` },
);
export type TableColumn = z.infer<typeof TableColumn>;

export const CollectionDefinition = z
  .strictObject({
    scales: z.array(RatingScale).default([]),
    fields: z.array(CollectionField).min(1, { error: '回答する項目（fields）が1つもありません' }),
    table: z.strictObject({ columns: z.array(TableColumn).min(1, { error: '表の列（table.columns）が1つもありません' }) }),
    summary: z
      .strictObject({
        /** Rating fields counted per area, this year against last. */
        ratings: z.array(FieldId).default([]),
        /** Number and target/actual fields summed per area. */
        sums: z.array(FieldId).default([]),
      })
      .default({ ratings: [], sums: [] }),
  })
  .superRefine((definition, ctx) => {
    const problem = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    const scales = new Map<string, RatingScale>();
    definition.scales.forEach((scale, s) => {
      if (scales.has(scale.id)) problem(['scales', s, 'id'], `尺度「${scale.id}」が2回定義されています`);
      scales.set(scale.id, scale);
      // Each symbol and look-alike must read as one value only.
      const seen = new Map<string, number>();
      scale.values.forEach((value, v) => {
        for (const [i, text] of [value.symbol, ...value.variants].entries()) {
          const other = seen.get(text);
          const path = i === 0 ? ['scales', s, 'values', v, 'symbol'] : ['scales', s, 'values', v, 'variants', i - 1];
          if (other === undefined) seen.set(text, v);
          else if (other === v) problem(path, `記号「${text}」が同じ値に2回あります`);
          else problem(path, `記号「${text}」が重複しています（values[${other}]「${scale.values[other]!.symbol}」にもあります）`);
        }
      });
      if (scale.notYetDue !== undefined && !scale.values.some((value) => value.symbol === scale.notYetDue)) {
        problem(['scales', s, 'notYetDue'], `「${scale.notYetDue}」はこの尺度の記号ではありません`);
      }
    });

    const fields = new Map<string, CollectionField>();
    definition.fields.forEach((field, f) => {
      if (fields.has(field.id)) problem(['fields', f, 'id'], `項目「${field.id}」が2回定義されています`);
      fields.set(field.id, field);
      if (field.kind === 'rating' && !scales.has(field.scale)) problem(['fields', f, 'scale'], `尺度「${field.scale}」が定義されていません`);
      if ((field.kind === 'number' || field.kind === 'targetActual') && field.min !== undefined && field.max !== undefined && field.min > field.max) {
        problem(['fields', f, 'max'], `上限 ${field.max} が下限 ${field.min} より小さくなっています`);
      }
    });

    definition.table.columns.forEach((column, c) => {
      if (!('field' in column)) return;
      const field = fields.get(column.field);
      if (!field) problem(['table', 'columns', c, 'field'], `項目「${column.field}」が定義されていません`);
      else if (column.part !== undefined && field.kind !== 'targetActual') problem(['table', 'columns', c, 'part'], `part は目標・実績の項目にだけ使えます（「${field.id}」は ${field.kind}）`);
    });
    const named = (key: 'ratings' | 'sums', kinds: readonly CollectionField['kind'][], what: string) =>
      definition.summary[key].forEach((id, i) => {
        const field = fields.get(id);
        if (!field) problem(['summary', key, i], `項目「${id}」が定義されていません`);
        else if (!kinds.includes(field.kind)) problem(['summary', key, i], `項目「${id}」は${what}ではありません`);
      });
    named('ratings', ['rating'], '評価の項目');
    named('sums', ['number', 'targetActual'], '数値の項目');
  });
export type CollectionDefinition = z.infer<typeof CollectionDefinition>;
export type CollectionDefinitionInput = z.input<typeof CollectionDefinition>;

/** A definition refused, with every problem in Japanese and its place in the JSON. */
export class CollectionDefinitionError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`照会様式の定義に誤りがあります:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    this.name = 'CollectionDefinitionError';
  }
}

/** zod's own wording for the checks the schema does not word itself. */
function japaneseIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? '必要な値がありません' : `値の型が違います（${issue.expected} で書いてください）`;
    case 'unrecognized_keys':
      return `知らない名前です: ${issue.keys.join(', ')}`;
    case 'invalid_value':
      return `使えない値です（${issue.values.map((v) => JSON.stringify(v)).join(', ')} のどれか）`;
    default:
      return issue.message;
  }
}

/** Reads a definition as the reform office wrote it, or throws every problem at once. */
export function parseCollectionDefinition(input: unknown): CollectionDefinition {
  const result = CollectionDefinition.safeParse(input);
  if (result.success) return result.data;
  throw new CollectionDefinitionError(
    result.error.issues.map((issue) => {
      // Custom and worded checks carry our Japanese message; zod's defaults are English.
      const message = /[\u3040-\u30ff\u4e00-\u9fff]/.test(issue.message) ? issue.message : japaneseIssue(issue);
      return issue.path.length > 0 ? `${issuePath(issue.path)}: ${message}` : message;
    }),
  );
}

/** How good a symbol is on its scale: higher is better; undefined for blank, not-yet-due and unknown. */
export function ratingRank(scale: RatingScale, symbol: string): number | undefined {
  const ranked = scale.values.filter((value) => value.symbol !== scale.notYetDue);
  const at = ranked.findIndex((value) => value.symbol === symbol);
  return at < 0 ? undefined : ranked.length - at;
}

/** What messages call a field: its name, or its header without the part that names the year. */
export function fieldName(field: CollectionField): string {
  return field.name ?? field.header.replace(/[（(][^（）()]*\{year\}[^（）()]*[）)]/g, '').replaceAll('{year}', '').trim();
}

/** The length limit of a text field, by its id. */
export function textFieldLimit(definition: CollectionDefinition, id: string): number {
  const field = definition.fields.find((f) => f.id === id);
  if (field?.kind !== 'text') throw new Error(`${id} is not a text field of the definition`);
  return field.maxLength;
}

export type RatingReading = { ok: true; symbol: string; variant: boolean } | { ok: false; value: string };

/**
 * Reads a rating cell: surrounding spaces (also U+3000) and emoji variation selectors are
 * ignored, a declared look-alike is read as its symbol (`variant` tells), blank is `''`.
 */
export function readRating(scale: RatingScale, cell: string): RatingReading {
  const text = cell.replace(/[\uFE0E\uFE0F]/g, '').replace(/^[\s\u3000]+|[\s\u3000]+$/g, '');
  if (text === '') return { ok: true, symbol: '', variant: false };
  for (const value of scale.values) {
    if (value.symbol === text) return { ok: true, symbol: text, variant: false };
    if (value.variants.includes(text)) return { ok: true, symbol: value.symbol, variant: true };
  }
  return { ok: false, value: cell };
}

/**
 * The achievement rate (達成率) in %, rounded as the field says; undefined where it cannot be
 * computed (a target of 0, shown as `-`).
 */
export function achievementRate(field: Extract<CollectionField, { kind: 'targetActual' }>, target: number, actual: number): number | undefined {
  const [numerator, denominator] = field.lowerIsBetter ? [target, actual] : [actual, target];
  if (target === 0 || denominator === 0) return undefined;
  const scale = 10 ** field.rateDecimals;
  // Cut to 12 significant digits before rounding, so that a rate of 1.005 rounds as the decimal it is, not as 1.00499… in binary.
  const raw = Number(((numerator / denominator) * 100 * scale).toPrecision(12));
  const rounded = field.rateRounding === 'floor' ? Math.floor(raw) : field.rateRounding === 'ceil' ? Math.ceil(raw) : Math.round(raw);
  return rounded / scale;
}

/**
 * What a division gave for one field in one year: a text or a rating's symbol (`''` when
 * blank), a number, or a target and an actual (`null` when blank).
 */
export const FieldValue = z.union([
  z.string(),
  z.number(),
  z.null(),
  z.strictObject({ target: z.number().nullable(), actual: z.number().nullable() }),
]);
export type FieldValue = z.infer<typeof FieldValue>;
export type TargetActualValue = { target: number | null; actual: number | null };
/** An item's answer for a year: its value of each field of the definition, by field id. */
export type AnswerValues = Record<string, FieldValue>;

/** A field's value where nothing was given. */
export function blankValue(field: CollectionField): FieldValue {
  switch (field.kind) {
    case 'text':
    case 'rating':
      return '';
    case 'number':
      return null;
    case 'targetActual':
      return { target: null, actual: null };
  }
}

export function isBlank(value: FieldValue): boolean {
  if (value === null || value === '') return true;
  return typeof value === 'object' && value.target === null && value.actual === null;
}

/** The scale a rating field is on. */
export function scaleOf(definition: CollectionDefinition, field: Extract<CollectionField, { kind: 'rating' }>): RatingScale {
  const scale = definition.scales.find((s) => s.id === field.scale);
  if (!scale) throw new Error(`scale ${field.scale} is not in the definition`);
  return scale;
}

/** Why a stored value cannot be the field's (operators read it: English), or undefined. */
export function fieldValueProblem(definition: CollectionDefinition, field: CollectionField, value: FieldValue): string | undefined {
  switch (field.kind) {
    case 'text':
      return typeof value === 'string' ? undefined : `${field.id} holds text`;
    case 'rating':
      if (typeof value !== 'string') return `${field.id} holds a symbol of its scale`;
      return value === '' || scaleOf(definition, field).values.some((v) => v.symbol === value) ? undefined : `"${value}" is not a symbol of ${field.scale}`;
    case 'number':
      return value === null || typeof value === 'number' ? undefined : `${field.id} holds a number`;
    case 'targetActual':
      return value !== null && typeof value === 'object' ? undefined : `${field.id} holds a target and an actual`;
  }
}

/** `取組状況の記号「◎」は使えません（○ △ × - または空欄）`: what a table or a sheet says of a symbol not on the scale. */
export function unknownRatingMessage(scale: RatingScale, value: string): string {
  return `${scale.name}の記号「${value}」は使えません（${scale.values.map((v) => v.symbol).join(' ')} または空欄）`;
}

// Japanese accounts write a negative figure with ▲ or △ in front of it.
const NEGATIVE_SIGNS = /^[-−▲△]/;
const FIGURE = /^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;

/**
 * Reads a figure as people type it: full-width digits (what a Japanese IME gives), thousands
 * separators, a minus, ▲ or △ for a negative, surrounding spaces and the field's unit after it.
 * Undefined when the text is not a number.
 */
export function readFigure(text: string, unit = ''): number | undefined {
  let figure = text.normalize('NFKC').replace(/^[\s]+|[\s]+$/g, '');
  if (unit !== '' && figure.endsWith(unit.normalize('NFKC'))) figure = figure.slice(0, -unit.normalize('NFKC').length).trimEnd();
  const negative = NEGATIVE_SIGNS.test(figure);
  if (negative) figure = figure.slice(1).trimStart();
  if (!FIGURE.test(figure)) return undefined;
  const value = Number(figure.replace(/,/g, ''));
  return negative ? -value : value;
}
