/**
 * An npm package name from a folder name: lower case, only the characters npm accepts unescaped
 * (letters, digits, `-`, `.`, `_`, `~`), not starting with `.` or `_`, at most 214 characters.
 */
export function toPackageName(folderName: string): string {
  const name = folderName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-._~]+/, '')
    .replace(/[-.]+$/, '')
    .slice(0, 214);
  return name === '' || name === 'node_modules' || name === 'favicon.ico' ? 'lode-app' : name;
}
