import { type DivisionDirectory, findDivision, memberDivisions } from '../domain/division-directory';
import { scaleOf } from '../domain/collection-definition';
import { fieldValue, itemDivisions, type Plan, type PlanItem } from '../domain/plan';

/** Items whose divisions include the given one, directly or through a group it belongs to. */
export function itemsOfDivision(plan: Plan, directory: DivisionDirectory, divisionId: string): PlanItem[] {
  return plan.items.filter((item) =>
    itemDivisions(item).some((name) => {
      const ref = findDivision(directory, name);
      return ref !== undefined && memberDivisions(directory, ref).some((d) => d.id === divisionId);
    }),
  );
}

const NO_LABEL = '（記載なし）';

/** The plan as a reform-office clerk reads it in a terminal: grouped by area and policy. */
export function renderPlan(plan: Plan, items: readonly PlanItem[] = plan.items): string {
  const lines = [`${plan.municipality.name} ${plan.title}（第${plan.version}版、計画期間 ${plan.period.from}〜${plan.period.to}、${items.length}項目）`];
  let area: string | undefined;
  let policy: string | undefined;
  for (const item of items) {
    if (item.area !== area) {
      area = item.area;
      policy = undefined;
      lines.push('', `■ 基本方針: ${area || NO_LABEL}`);
    }
    if (item.policy !== policy) {
      policy = item.policy;
      lines.push(`  ◆ 施策: ${policy || NO_LABEL}`);
    }
    lines.push(`    ${String(item.no).padStart(3)}. ${item.initiative}`);
    // The ratings, one scale after another, each year's symbol in order: 取組状況 R1○ R2△.
    const ratings = plan.definition.fields.flatMap((field) => {
      if (field.kind !== 'rating') return [];
      const years = plan.fieldYears[field.id] ?? [];
      return [`${scaleOf(plan.definition, field).name} ${years.map((y) => `${y}${fieldValue(plan, item, field.id, y) || '　'}`).join(' ')}`];
    });
    lines.push(`         ${[...ratings, `担当課 ${itemDivisions(item).join('、')}`].join('   ')}`);
  }
  return `${lines.join('\n')}\n`;
}
