import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const createAppBin = join(repoRoot, 'create-app', 'bin', 'create-app.js');
const templateDir = join(repoRoot, 'examples', 'starter');
const frameworkDir = join(repoRoot, 'framework');

interface Finished {
  code: number | null;
  output: string;
}

/**
 * The environment for commands run inside the new project: without the variables an enclosing
 * `npm test` exports about this repository, so the project's npm sees only its own folder, and
 * without NODE_TEST_CONTEXT, which would make the project's `node --test` skip its files.
 */
function projectEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package_|lifecycle_|command$|config_(local_prefix|workspaces?|include_workspace_root)$)/.test(key) || key === 'INIT_CWD' || key === 'NODE_TEST_CONTEXT') continue;
    env[key] = value;
  }
  return env;
}

/** Runs a command to completion, collecting stdout and stderr together (for failure messages). */
function run(command: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: projectEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} took longer than ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const createApp = (args: string[], cwd: string): Promise<Finished> => run(process.execPath, [createAppBin, ...args], cwd);

/** Files below `dir` as sorted relative paths, leaving out what create-app never copies. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split('\\').join('/'))
    .filter((path) => !/(^|\/)(node_modules|\.lode|dist)\//.test(path))
    .sort();
}

/** A `lode run` process of the new project, resolved when it prints the URL it listens on. */
const ADMIN = { username: 'admin', password: 'starter-secret' };
const asAdmin = { authorization: `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}` };

async function startServer(project: string): Promise<{ child: ChildProcess; url: string; output: () => string; exited: Promise<number | null> }> {
  // The bin `npx lode` runs; spawned directly so that SIGTERM reaches lode itself (npx does not pass it on).
  const child = spawn(join(project, 'node_modules', '.bin', 'lode'), ['run', '.', '--port', '0'], {
    cwd: project,
    // `lode run` serves nobody without users: the first start creates this admin.
    env: { ...projectEnv(), LODE_ADMIN_USERNAME: ADMIN.username, LODE_ADMIN_PASSWORD: ADMIN.password },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lode run did not start listening:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /Lode listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`lode run exited with ${code} before listening:\n${output}`));
    });
  });
  return { child, url, output: () => output, exited };
}

describe('create-app', { timeout: 360_000 }, () => {
  let workspace: string;

  before(async () => {
    workspace = await mkdtemp(join(tmpdir(), 'lode-create-app-'));
  });

  after(async () => {
    await rm(workspace, { recursive: true, force: true });
  });

  test('without a folder prints usage and exits 2; --help prints it and exits 0', async () => {
    const missing = await createApp([], workspace);
    assert.equal(missing.code, 2, missing.output);
    assert.match(missing.output, /Missing the folder to create/);
    assert.match(missing.output, /Usage: create-app <dir>/);

    const help = await createApp(['--help'], workspace);
    assert.equal(help.code, 0, help.output);
    assert.match(help.output, /Usage: create-app <dir>/);

    const extra = await createApp(['one', 'two'], workspace);
    assert.equal(extra.code, 2, extra.output);
    assert.deepEqual(await readdir(workspace), [], 'nothing is created on a usage error');
  });

  test('refuses a folder that is not empty and leaves it as it was', async () => {
    const taken = join(workspace, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'keep me');

    const result = await createApp([taken], workspace);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /is not empty/);
    assert.deepEqual(await readdir(taken), ['notes.txt']);
    assert.equal(await readFile(join(taken, 'notes.txt'), 'utf8'), 'keep me');
  });

  test('fills an existing empty folder and derives an npm-valid name from any folder name', async () => {
    const target = join(workspace, 'My Todo App!');
    await mkdir(target);
    const result = await createApp(['My Todo App!'], workspace);
    assert.equal(result.code, 0, result.output);
    assert.ok(result.output.includes("cd 'My Todo App!' && npm install && npm run dev"), result.output);
    const manifest = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as { name: string };
    assert.equal(manifest.name, 'my-todo-app');
  });

  test('creates a project that installs, typechecks, serves real requests and passes its own tests', async (t) => {
    const project = join(workspace, 'my-app');

    await t.test('copies the starter, renamed and pointing at this checkout', async () => {
      const result = await createApp(['my-app'], workspace);
      assert.equal(result.code, 0, result.output);
      assert.ok(result.output.includes('cd my-app && npm install && npm run dev'), result.output);

      const copied = await listFiles(project);
      assert.deepEqual(copied, await listFiles(templateDir));
      for (const file of ['schema.graphql', 'resources.ts', 'config.yaml', 'tsconfig.json', '.gitignore', 'README.md', 'test/app.test.ts']) {
        assert.ok(copied.includes(file), `${file} is part of the new project`);
      }
      for (const file of copied.filter((path) => path !== 'package.json')) {
        assert.equal(await readFile(join(project, file), 'utf8'), await readFile(join(templateDir, file), 'utf8'), `${file} is copied as is`);
      }

      const template = JSON.parse(await readFile(join(templateDir, 'package.json'), 'utf8')) as Record<string, unknown>;
      const manifest = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as Record<string, unknown>;
      assert.equal(manifest.name, 'my-app');
      assert.deepEqual(manifest.dependencies, { ...(template.dependencies as object), lode: `file:${frameworkDir}` });
      assert.deepEqual({ ...manifest, name: template.name, dependencies: template.dependencies }, template, 'nothing else changes');
    });

    await t.test('npm install links the framework', async () => {
      const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, 240_000);
      assert.equal(install.code, 0, install.output);
      assert.equal(await realpath(join(project, 'node_modules', 'lode')), await realpath(frameworkDir));
    });

    await t.test('npm run typecheck writes the schema types and passes', async () => {
      const typecheck = await run('npm', ['run', 'typecheck'], project, 120_000);
      assert.equal(typecheck.code, 0, typecheck.output);
      const types = await readFile(join(project, '.lode', 'types.d.ts'), 'utf8');
      assert.match(types, /Todo: \$TableResourceClass<\$Todo>/);
      assert.match(types, /Comment: \$TableResourceClass<\$Comment>/);
    });

    await t.test('lode run serves the app over HTTP and exits 0 on SIGTERM', async () => {
      const server = await startServer(project);
      try {
        const anonymous = await fetch(`${server.url}/Todo/`);
        assert.equal(anonymous.status, 401, 'lode run is closed to anonymous requests');
        assert.match(anonymous.headers.get('www-authenticate') ?? '', /Basic/);
        const created = await fetch(`${server.url}/Todo/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...asAdmin },
          body: JSON.stringify({ title: 'Ship it' }),
        });
        assert.equal(created.status, 201, await created.clone().text());
        const location = created.headers.get('location');
        assert.match(location ?? '', /^\/Todo\/.+/);

        const read = await fetch(server.url + location!, { headers: asAdmin });
        assert.equal(read.status, 200);
        const todo = (await read.json()) as Record<string, unknown>;
        assert.equal(todo.title, 'Ship it');
        assert.equal(typeof todo.createdAt, 'string');

        const comment = await fetch(`${server.url}/Comment/`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...asAdmin },
          body: JSON.stringify({ todoId: todo.id, text: '' }),
        });
        assert.equal(comment.status, 400, 'resources.ts validates comments');
        assert.match(comment.headers.get('content-type') ?? '', /application\/problem\+json/);

        const stats = await fetch(`${server.url}/Stats`, { headers: asAdmin });
        assert.equal(stats.status, 200);
        assert.deepEqual(await stats.json(), { todos: 1, done: 0, open: 1, comments: 0 });

        const listing = (await (await fetch(`${server.url}/`, { headers: asAdmin })).json()) as { resources: { name: string }[] };
        assert.deepEqual(listing.resources.map((resource) => resource.name).sort(), ['Comment', 'Stats', 'Todo']);
        assert.deepEqual(await (await fetch(`${server.url}/health`)).json(), { status: 'ok' });

        const page = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
        assert.equal(page.status, 200);
        assert.match(await page.text(), /<title>Lode starter<\/title>/);
      } finally {
        if (server.child.exitCode === null) server.child.kill('SIGTERM');
      }
      assert.equal(await server.exited, 0, server.output());
      assert.ok((await stat(join(project, '.lode', 'data'))).isDirectory(), 'data is stored in .lode/data');
    });

    await t.test("the project's own npm test passes", async () => {
      const tests = await run('npm', ['test'], project, 120_000);
      assert.equal(tests.code, 0, tests.output);
      assert.match(tests.output, /# pass [1-9]/);
      assert.match(tests.output, /# fail 0/);
    });
  });
});
