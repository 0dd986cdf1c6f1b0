import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTestApp } from '../../framework/src/testing/index.js';
import { writeApp } from '../support/lode-process.js';

test('apps sharing a folder keep separate build output; dead processes’ output is cleared', async () => {
  const folder = await writeApp({
    'schema.graphql': 'type Item @table @export { id: ID @primaryKey }',
    'resources.ts': "import { Resource } from 'lode';\nexport class Hello extends Resource {\n  static get() {\n    return 'hi';\n  }\n}\n",
  });
  const builds = join(folder.dir, '.lode', 'build');
  const stale = join(builds, '999999999-deadbeef');
  await mkdir(join(stale, '1'), { recursive: true });
  try {
    const first = await startTestApp({ dir: folder.dir });
    assert.equal(existsSync(stale), false, 'output of a process that no longer runs is removed');
    const second = await startTestApp({ dir: folder.dir });
    assert.equal((await readdir(builds)).length, 2);
    await first.close();
    assert.equal((await readdir(builds)).length, 1, 'closing an app removes only its own output');
    const reloaded = await second.app.reload();
    assert.equal(reloaded.ok, true);
    assert.equal((await second.request('/Hello')).body, 'hi');
    await second.close();
    assert.deepEqual(await readdir(builds), []);
  } finally {
    await folder.remove();
  }
});
