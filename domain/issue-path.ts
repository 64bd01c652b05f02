/** Where a problem is, as a person would look for it in a JSON file: `rungs[2].cc`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
