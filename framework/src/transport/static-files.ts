import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const mediaTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webp': 'image/webp',
};

export interface StaticFile {
  body: Buffer;
  contentType: string;
}

/** Files under one folder (the app's `web/`), served for GET paths no resource claims. */
export class StaticFiles {
  readonly root: string;

  constructor(root: string) {
    this.root = normalize(root);
  }

  /** The file for a URL path, `index.html` for folders; undefined when absent or outside the root. */
  async find(urlPath: string): Promise<StaticFile | undefined> {
    let relative: string;
    try {
      relative = decodeURIComponent(urlPath);
    } catch {
      return undefined;
    }
    if (relative.includes('\0')) return undefined;
    let path = normalize(join(this.root, relative));
    if (path !== this.root && !path.startsWith(this.root + sep)) return undefined;
    const info = await stat(path).catch(() => undefined);
    if (!info) return undefined;
    if (info.isDirectory()) path = join(path, 'index.html');
    const body = await readFile(path).catch(() => undefined);
    if (!body) return undefined;
    return { body, contentType: mediaTypes[extname(path).toLowerCase()] ?? 'application/octet-stream' };
  }
}
