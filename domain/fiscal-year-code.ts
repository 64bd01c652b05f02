import { z } from 'zod';
import { isCanonicalCode } from './fiscal-year';

// Apart from fiscal-year.ts, which the workflows import: they must not load zod (see workflow-ids.ts).

/** A fiscal year written in its canonical code, as stored in the plan master. */
export const FiscalYearCode = z
  .string()
  .refine(isCanonicalCode, { message: 'fiscal year must be a canonical code such as R4' });
export type FiscalYearCode = z.infer<typeof FiscalYearCode>;
