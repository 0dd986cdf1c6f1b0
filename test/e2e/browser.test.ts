import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { startTestApp } from '../../framework/src/testing/index.js';

const chromiumPath = '/usr/bin/chromium';

test('the starter page adds and completes a todo in a real browser', { timeout: 60000 }, async () => {
  assert.ok(existsSync(chromiumPath), 'Debian chromium is needed for browser tests: apt-get install chromium (.ci/run installs it)');
  const app = await startTestApp({ dir: new URL('../../examples/starter/', import.meta.url) });
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const failures: string[] = [];
    page.on('pageerror', (error) => failures.push(error.message));
    await page.goto(app.url + '/');
    await page.getByPlaceholder('What needs doing?').fill('Write the docs');
    await page.getByRole('button', { name: 'Add' }).click();
    const item = page.locator('#todos li', { hasText: 'Write the docs' });
    await item.waitFor();
    await page.locator('#stats', { hasText: '1 open, 0 done' }).waitFor();
    await item.locator('input[type=checkbox]').check();
    await page.locator('#stats', { hasText: '0 open, 1 done' }).waitFor();
    assert.equal(await item.getAttribute('class'), 'done');

    const todos = (await app.request('/Todo/')).body as { title: string; done: boolean }[];
    assert.deepEqual(
      todos.map((todo) => [todo.title, todo.done]),
      [['Write the docs', true]],
    );
    assert.deepEqual(failures, []);
  } finally {
    await browser.close();
    await app.close();
  }
});
