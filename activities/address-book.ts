import { existsSync, statSync } from 'node:fs';
import type { DivisionDirectory } from '../domain/division-directory';
import { directoryPath, loadDirectory } from '../store/master-files';

/**
 * Where mail goes: the division directory in use now, not the one the cycle was launched
 * with, so a new address or a new division head entered mid-cycle gets the later mail. A
 * division the current directory no longer knows keeps the address it was launched with.
 */
export function createAddressBook(dataDir: string) {
  let cached: { mtimeMs: number; directory: DivisionDirectory } | undefined;

  async function current(): Promise<DivisionDirectory | undefined> {
    const path = directoryPath(dataDir);
    if (!existsSync(path)) return undefined;
    // Thousands of mails go out in a fan-out; the file is read again only when it changed.
    const { mtimeMs } = statSync(path);
    if (cached?.mtimeMs !== mtimeMs) cached = { mtimeMs, directory: (await loadDirectory(dataDir)).directory };
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
