import type { DivisionDirectory } from '../domain/division-directory';
import { DIRECTORY_KEY, loadDirectory } from '../store/master-files';
import type { ObjectStore } from '../store/object-store';

/**
 * Where mail goes: the division directory in use now, not the one the cycle was launched
 * with, so a new address or a new division head entered mid-cycle gets the later mail. A
 * division the current directory no longer knows keeps the address it was launched with.
 */
export function createAddressBook(store: ObjectStore) {
  let cached: { version: string; directory: DivisionDirectory } | undefined;

  async function current(): Promise<DivisionDirectory | undefined> {
    // Thousands of mails go out in a fan-out; the directory is read again only when it changed.
    const version = await store.version(DIRECTORY_KEY);
    if (version === undefined) return undefined;
    if (cached?.version !== version) {
      const read = await loadDirectory(store);
      cached = { version: read.version ?? version, directory: read.directory };
    }
    return cached.directory;
  }

  return {
    /** The directory to address `divisionIds` from. */
    async directoryFor(launchedWith: DivisionDirectory, divisionIds: readonly string[]): Promise<DivisionDirectory> {
      const now = await current();
      const knowsAll = now && [...divisionIds, now.reformOffice].every((id) => now.divisions.some((d) => d.id === id));
      return knowsAll ? now : launchedWith;
    },
  };
}
