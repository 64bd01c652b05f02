import type { Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions';

/**
 * Registers the search attributes the division workflows set, where the namespace lacks them:
 * the dev server this project starts has them from its command line, a city's own cluster gets
 * them from its first worker. A cluster that refuses the worker this is told how to add them.
 */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const operator = client.connection.operatorService;
  const { customAttributes } = await operator.listSearchAttributes({ namespace });
  const missing = SEARCH_ATTRIBUTES.filter((key) => !(key.name in (customAttributes ?? {})));
  if (missing.length === 0) return;
  try {
    await operator.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]])),
    });
  } catch (err) {
    const commands = missing.map((key) => `temporal operator search-attribute create --namespace ${namespace} --name ${key.name} --type ${TypedSearchAttributes.toMetadataType(key.type)}`);
    throw new Error(
      `The namespace ${namespace} lacks the search attributes torimatome's division workflows set, and adding them was refused (${(err as Error).message}). An operator of the Temporal cluster can add them:\n  ${commands.join('\n  ')}`,
    );
  }
}
