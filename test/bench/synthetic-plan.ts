/**
 * A synthetic plan master and division directory of any size, for the scale benchmark: every
 * division leads the same number of items, no co-divisions, Japanese texts as long as the real
 * plan's (overview ~100 characters, status text ~200).
 */
import { type Department, type Division, DivisionDirectory } from '../../domain/division-directory';
import { Plan, type PlanItem } from '../../domain/plan';
import type { ScheduleEntry } from '../../domain/schedule';
import type { StatusMark } from '../../domain/status-mark';

export const BENCH_MUNICIPALITY = { id: 'bench', name: 'ベンチ市' } as const;
const DOMAIN = 'city.bench.example';
const DIVISIONS_PER_DEPARTMENT = 40;

/** A small deterministic generator, so that two runs of one size build the same plan. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const pick = <T>(next: () => number, list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

/** Phrases joined until the text is at least `length` characters, ending with a full stop. */
function prose(next: () => number, phrases: readonly string[], length: number): string {
  let text = '';
  while (text.length < length) text += pick(next, phrases);
  return text.endsWith('、') ? `${text.slice(0, -1)}。` : text;
}

const AREAS = ['行政運営の効率化', '財政の健全化', '市民サービスの向上', '地域マネジメント', '人材の育成と組織力の強化', '公共施設の最適化'];
const POLICY_HEADS = ['業務の', '窓口の', '公共施設の', '情報システムの', '財源の', '協働による', '職員の', '行政手続の'];
const POLICY_TAILS = ['見直しと効率化の推進', '適正な管理と再編', 'デジタル化の推進', '確保と歳出の抑制', '地域課題の解決', '能力開発と働き方改革', 'オンライン化と簡素化'];
const INITIATIVES = [
  '窓口業務の外部委託の検討',
  '電子申請の対象手続の拡大',
  '公共施設の長寿命化計画の推進',
  '使用料・手数料の見直し',
  'ペーパーレス会議の推進',
  'ふるさと納税の返礼品の拡充',
  '指定管理者制度の導入施設の拡大',
  'RPAによる定型業務の自動化',
  '未利用市有地の売却・貸付',
  '補助金・負担金の見直し',
];
const OVERVIEW_PHRASES = [
  '市民の利便性の向上と事務の効率化を図るため、',
  '現行の業務手順を全庁的に洗い出し、',
  '他自治体の先進事例を調査研究したうえで、',
  '費用対効果を検証しながら段階的に導入を進める。',
  '関係課と連携して実施体制を整え、',
  '利用者アンケートの結果を踏まえて、',
  '施設の利用状況と維持管理経費を把握し、',
  '必要な規程の整備と職員研修を行う。',
  '受益者負担の適正化の観点から、',
  '令和５年度までに一定の方向性を示す。',
];
const STATUS_PHRASES = [
  '年度当初に関係課との協議を行い、実施方針を決定した。',
  '上半期に対象業務の洗い出しを行い、課題を整理した。',
  '市民向けの説明会を２回開催し、意見を聴取した。',
  '予算の制約により一部の取組は次年度に持ち越すこととした。',
  '導入後の効果として、処理時間が約２割短縮された。',
  '他市の事例調査を行ったが、本市への適用には課題が残る。',
  '庁内の検討会議を３回開催し、見直し案を取りまとめた。',
  '年度末までに要綱を改正し、次年度から運用を開始する見込みである。',
  '新型コロナウイルス感染症の影響により、計画どおりの進捗には至らなかった。',
];
const SCHEDULES: ReadonlyArray<{ schedule: ScheduleEntry[]; marks: StatusMark[] }> = [
  { schedule: ['検討', '実施', '→', '→', '→'], marks: ['△', '○', '○'] },
  { schedule: ['実施', '→', '→', '→', '→'], marks: ['○', '○', '△'] },
  { schedule: ['', '検討', '→', '実施', '→'], marks: ['-', '×', '△'] },
  { schedule: ['検討', '→', '順次実施', '→', '→'], marks: ['×', '△', '△'] },
];
const PERIOD = ['R1', 'R2', 'R3', 'R4', 'R5'] as const;
const MARK_YEARS = ['R1', 'R2', 'R3'] as const;

const pad = (n: number) => String(n).padStart(4, '0');
export const divisionIdOf = (index: number) => `d${pad(index + 1)}`;
export const divisionNameOf = (index: number) => `部署${pad(index + 1)}課`;

export interface SyntheticMaster {
  plan: Plan;
  directory: DivisionDirectory;
}

/** `divisions` divisions in departments of 40, each the lead of `itemsPerDivision` consecutive items. */
export function syntheticMaster(divisions: number, itemsPerDivision: number): SyntheticMaster {
  const next = random(20230331);
  const departments: Department[] = [];
  const divisionList: Division[] = [];
  for (let d = 0; d < divisions; d++) {
    const dep = Math.floor(d / DIVISIONS_PER_DEPARTMENT);
    if (!departments[dep]) {
      const id = `dept${String(dep + 1).padStart(3, '0')}`;
      departments[dep] = { id, name: `第${dep + 1}部`, head: `${id}-head@${DOMAIN}` };
    }
    const id = divisionIdOf(d);
    divisionList.push({ id, name: divisionNameOf(d), formerNames: [], department: departments[dep].id, contact: `${id}@${DOMAIN}`, head: `${id}-head@${DOMAIN}` });
  }
  const directory = DivisionDirectory.parse({ version: 1, validFrom: 'R4', reformOffice: divisionIdOf(0), departments, divisions: divisionList, groups: [] });

  const items: PlanItem[] = [];
  const total = divisions * itemsPerDivision;
  for (let i = 0; i < total; i++) {
    const d = Math.floor(i / itemsPerDivision);
    const shape = pick(next, SCHEDULES);
    items.push({
      no: i + 1,
      // Areas in long runs and policies in shorter ones, as in a printed plan.
      area: AREAS[Math.floor((i * AREAS.length) / total)]!,
      policy: `${POLICY_HEADS[Math.floor(d / 5) % POLICY_HEADS.length]}${POLICY_TAILS[Math.floor(d / 5) % POLICY_TAILS.length]}`,
      initiative: `${pick(next, INITIATIVES)}（${i + 1}）`,
      overview: prose(next, OVERVIEW_PHRASES, 100),
      schedule: Object.fromEntries(PERIOD.map((y, k) => [y, shape.schedule[k]!])),
      values: { statusText: {}, marks: Object.fromEntries(MARK_YEARS.map((y, k) => [y, shape.marks[k]!])) },
      leadDivision: divisionNameOf(d),
      coDivisions: [],
    });
  }
  const plan = Plan.parse({
    municipality: BENCH_MUNICIPALITY,
    title: '行政改革実施計画',
    version: 1,
    period: { from: 'R1', to: 'R5' },
    fieldYears: { statusText: [], marks: [...MARK_YEARS] },
    items,
  });
  return { plan, directory };
}

const RANK: Partial<Record<StatusMark, number>> = { '○': 3, '△': 2, '×': 1 };

/** The schedule's entry for a year: its own, or the one an arrow continues. */
function scheduledEntry(item: PlanItem, year: string): ScheduleEntry {
  let entry: ScheduleEntry = '';
  for (const y of PERIOD) {
    const own = item.schedule[y] ?? '';
    if (own !== '→') entry = own;
    if (y === year) return entry;
  }
  return '';
}

/**
 * What a division answers for an item in `year`: a mark that a careful division would give (not
 * below last year's, not ○ while the schedule still says 検討, not - once it says 実施, so no
 * 確認事項 holds the return) and about 200 characters of status text.
 */
export function syntheticAnswer(item: PlanItem, year: string): { values: { marks: string; statusText: string } } {
  const next = random(item.no * 7919);
  const previous = (item.values.marks![MARK_YEARS[MARK_YEARS.length - 1]!] ?? '') as StatusMark;
  const scheduled = scheduledEntry(item, year);
  const candidates = (['○', '△', '×'] as const).filter((mark) => RANK[mark]! >= (RANK[previous] ?? 0) && !(mark === '○' && scheduled === '検討'));
  return { values: { marks: candidates.length > 0 ? pick(next, candidates) : '△', statusText: prose(next, STATUS_PHRASES, 200) } };
}
