import { type CollectionDefinition, parseCollectionDefinition } from './collection-definition';

/**
 * Arao's form, the default definition: each year a status text (取組状況（R4年度末見込み）) and a
 * status mark (取組状況（R4年度末時点）) of ○ △ × -, the plan table with both, and the marks
 * counted by area. The look-alikes are the ones people really type: an explicit list rather
 * than NFKC, which leaves 〇 ◯ ▲ ✕ ― ー alone and would turn other look-alikes into letters.
 */
export const ARAO_COLLECTION: CollectionDefinition = parseCollectionDefinition({
  scales: [
    {
      id: 'status',
      name: '取組状況',
      values: [
        { symbol: '○', label: '実施済み', variants: ['〇', '◯', '⭕'] },
        { symbol: '△', label: '一部実施', variants: ['▲', '▵'] },
        { symbol: '×', label: '未実施または検討中', variants: ['✕', '✖', '╳', 'x', 'X', 'ｘ', 'Ｘ'] },
        { symbol: '-', label: '翌年度以降実施', variants: ['‐', '−', '–', '—', '―', 'ー', '─', '－'] },
      ],
      notYetDue: '-',
    },
  ],
  fields: [
    // The seed's longest is 607 characters, and the table prints each on an A3 page.
    { id: 'statusText', kind: 'text', header: '取組状況（{year}年度末見込み）', name: '取組状況の文', guide: '年度末までの取組状況を文章で', maxLength: 2000 },
    { id: 'marks', kind: 'rating', scale: 'status', header: '取組状況（{year}年度末時点）' },
  ],
  table: {
    columns: [
      { plan: 'no' },
      { plan: 'area' },
      { plan: 'policy' },
      { plan: 'initiative' },
      { plan: 'overview' },
      { plan: 'schedule' },
      { field: 'statusText' },
      { field: 'marks' },
      { plan: 'divisions' },
    ],
  },
  summary: { ratings: ['marks'] },
});
