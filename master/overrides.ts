import { z } from 'zod';
import { Municipality } from '../domain/plan';
import { readScheduleEntry } from '../domain/schedule';

/**
 * The reform office's decisions on what the seed table cannot tell by itself. Every entry
 * carries a reason, which the import report repeats so that the decision stays traceable.
 */
const ItemNo = z.string().regex(/^\d+$/, 'keys are item numbers such as "14"');
const Reason = z.string().min(1, 'every decision needs a reason');

export const ItemOverride = z
  .object({
    area: z.string().optional(),
    policy: z.string().optional(),
    schedule: z
      .array(z.string())
      .refine((cells) => cells.every((c) => readScheduleEntry(c) !== undefined), 'schedule entries are 実施, 検討, 順次実施, → or ""')
      .optional(),
    divisions: z.array(z.string().min(1)).min(1).optional(),
    reason: Reason,
  })
  .strict();
export type ItemOverride = z.infer<typeof ItemOverride>;

export const LabelKind = z.enum(['area', 'policy']);
export type LabelKind = z.infer<typeof LabelKind>;

export const Overrides = z
  .object({
    /** The municipality and title, which the table itself does not state in a usable form. */
    plan: z.object({ municipality: Municipality, title: z.string().min(1) }).strict().optional(),
    /** Whether a row's single label is an area (基本方針) or a policy (施策). */
    loneLabels: z.record(ItemNo, z.object({ kind: LabelKind, reason: Reason }).strict()).default({}),
    items: z.record(ItemNo, ItemOverride).default({}),
  })
  .strict();
export type Overrides = z.infer<typeof Overrides>;

export const NO_OVERRIDES: Overrides = { loneLabels: {}, items: {} };
