/**
 * A cycle's status in pages: at 2,000 respondents with their attempt logs the whole status is
 * over half a megabyte, past what Temporal warns of for one query result, and it grows with
 * every attempt. Pages are bounded by their JSON size, so no log can make one too large.
 */

/** Where a page starts and how large it may be, in bytes of JSON. */
export interface StatusPageRequest {
  from: number;
  maxBytes: number;
}

/** The page size the service reads in: half the 512 KB at which Temporal warns of a payload. */
export const STATUS_PAGE_BYTES = 256 * 1024;

const utf8 = new TextEncoder();

/** Entries from `from` while they fit in `maxBytes`, at least one so that every read moves on; `next` while more follow. */
export function statusPage<T>(entries: readonly T[], { from, maxBytes }: StatusPageRequest): { entries: T[]; next?: number } {
  const page: T[] = [];
  let bytes = 0;
  for (let i = from; i < entries.length; i++) {
    bytes += utf8.encode(JSON.stringify(entries[i])).length + 1;
    if (page.length > 0 && bytes > maxBytes) return { entries: page, next: i };
    page.push(entries[i]!);
  }
  return { entries: page };
}
