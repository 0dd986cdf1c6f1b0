import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from '../app/index.js';
import { silentLogger, type Logger } from '../util/index.js';

export interface TestAppOptions {
  /** An existing app folder (path or file URL). Its data goes to a temporary directory. */
  dir?: string | URL;
  /** Or an app written inline: file name → contents, e.g. `{ 'schema.graphql': '…', 'resources.ts': '…' }`. */
  files?: Record<string, string>;
  logger?: Logger;
  /** Loopback requests run as the super user, as in `lode dev` (default true; false to test security). */
  authorizeLocal?: boolean;
}

export interface TestRequest {
  method?: string;
  headers?: Record<string, string>;
  /** Sent as JSON unless it is a string or bytes. */
  body?: unknown;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, otherwise the text. */
  body: unknown;
  text: string;
}

export interface TestApp {
  app: App;
  url: string;
  request(path: string, init?: TestRequest): Promise<TestResponse>;
  /** Stops the server and deletes the temporary data (and the inline app folder). */
  close(): Promise<void>;
}

/** Starts an app in-process on a free port with throwaway storage, for tests. */
export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const scratch = await mkdtemp(join(tmpdir(), 'lode-test-'));
  let dir: string;
  if (options.files) {
    dir = join(scratch, 'app');
    for (const [name, contents] of Object.entries(options.files)) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), contents);
    }
  } else if (options.dir !== undefined) {
    dir = options.dir instanceof URL ? fileURLToPath(options.dir) : options.dir;
  } else {
    throw new Error('startTestApp needs `dir` or `files`');
  }
  const app = await App.start({ dir, dataDir: join(scratch, 'data'), port: 0, logger: options.logger ?? silentLogger, authorizeLocal: options.authorizeLocal ?? true }).catch(async (error: unknown) => {
    await rm(scratch, { recursive: true, force: true });
    throw error;
  });
  return {
    app,
    url: app.url,
    async request(path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      let body: string | Uint8Array | undefined;
      if (typeof init.body === 'string' || init.body instanceof Uint8Array) body = init.body;
      else if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      const response = await fetch(app.url + path, { method: init.method ?? 'GET', headers, body });
      const text = await response.text();
      const isJson = /json/.test(response.headers.get('content-type') ?? '') && text !== '';
      return { status: response.status, headers: response.headers, body: isJson ? JSON.parse(text) : text, text };
    },
    async close() {
      await app.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
