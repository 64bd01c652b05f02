// Imported by the workflows: nothing here may import zod or any module that does, since every
// workflow instance evaluates its bundle's modules afresh and a schema library costs milliseconds
// each time.

/**
 * A cycle is one fiscal year's collection for one municipality. Its ids are derived, never
 * stored, so that a second launch of the same year meets the first one's workflow id.
 */
export const TASK_QUEUE = 'torimatome';

export function cycleId(municipalityId: string, year: string): string {
  return `cycle-${municipalityId}-${year}`;
}

export function divisionWorkflowId(cycle: string, divisionId: string): string {
  return `${cycle.replace(/^cycle-/, 'division-')}-${divisionId}`;
}

/** The workflow that archives a closed cycle for the auditors. */
export function archiveWorkflowId(cycle: string): string {
  return `archive-${cycle}`;
}
