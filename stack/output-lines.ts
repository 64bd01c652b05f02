import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

/**
 * Reads a child's output line by line, hands each line to `onLine` and keeps the last `keep`
 * lines, so an error about a failed child can quote what it said last.
 */
export function followLines(stream: Readable, keep: number, onLine?: (line: string) => void): () => string[] {
  const last: string[] = [];
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    last.push(line);
    if (last.length > keep) last.shift();
    onLine?.(line);
  });
  return () => [...last];
}
