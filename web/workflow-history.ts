import { type Client, isGrpcServiceError } from '@temporalio/client';
import { tsToDate } from '@temporalio/common/lib/time';
import { parseEscalationPolicy } from '../domain/escalation-policy';
import type { CycleInput } from '../workflows/definitions';

/**
 * What only the workflows' histories keep: the ladder a cycle was launched with, and the
 * signals the reform office sent a division (a deadline moved, a reminder asked for) with who
 * sent them. A workflow the namespace has forgotten has no history: undefined then.
 */

const GRPC_NOT_FOUND = 5;

async function unlessForgotten<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) return undefined;
    throw err;
  }
}

/** The numbers of the cycle's ladder rungs that are escalations (上長報告), as planned from its launch. */
export async function escalationRungs(client: Client, cycleId: string): Promise<Set<number> | undefined> {
  // Only the first event, which holds the input: a large cycle's history has a report per division and return.
  const first = await unlessForgotten(() =>
    client.workflowService.getWorkflowExecutionHistory({ namespace: client.workflow.options.namespace, execution: { workflowId: cycleId }, maximumPageSize: 1 }),
  );
  const payload = first?.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) return undefined;
  const input = client.workflow.options.loadedDataConverter.payloadConverter.fromPayload<CycleInput>(payload);
  // Rung numbers count the policy's rungs in the order the policy sorts them, as the ladder does.
  const { rungs } = parseEscalationPolicy(input.ladder?.policy ?? {});
  return new Set(rungs.flatMap((rung, i) => (rung.kind === 'escalation' ? [i + 1] : [])));
}

export interface SignalRecord {
  name: string;
  at: string;
  args: unknown;
}

/** The signals of the given names a workflow received, in order, with their first argument. */
export async function signalsReceived(client: Client, workflowId: string, names: readonly string[]): Promise<SignalRecord[] | undefined> {
  const history = await unlessForgotten(() => client.workflow.getHandle(workflowId).fetchHistory());
  if (!history) return undefined;
  const converter = client.workflow.options.loadedDataConverter.payloadConverter;
  return (history.events ?? []).flatMap((event) => {
    const signal = event.workflowExecutionSignaledEventAttributes;
    if (!signal?.signalName || !names.includes(signal.signalName) || !event.eventTime) return [];
    const payload = signal.input?.payloads?.[0];
    return [{ name: signal.signalName, at: tsToDate(event.eventTime).toISOString(), args: payload ? converter.fromPayload(payload) : undefined }];
  });
}
