import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from 'lode/testing';

type Json = Record<string, unknown>;

describe('the starter app', () => {
  let app: TestApp;

  before(async () => {
    // The app folder is the one above this file; its data goes to a temporary directory.
    app = await startTestApp({ dir: new URL('..', import.meta.url) });
  });

  after(async () => {
    await app.close();
  });

  async function createTodo(title: string): Promise<Json> {
    const created = await app.request('/Todo/', { method: 'POST', body: { title } });
    assert.equal(created.status, 201, created.text);
    return created.body as Json;
  }

  test('creates, reads, updates, lists and deletes todos', async () => {
    const created = await app.request('/Todo/', { method: 'POST', body: { title: 'Write the docs' } });
    assert.equal(created.status, 201, created.text);
    const todo = created.body as Json;
    assert.equal(typeof todo.id, 'string');
    assert.equal(created.headers.get('location'), `/Todo/${String(todo.id)}`);

    const read = await app.request(`/Todo/${String(todo.id)}`);
    assert.equal(read.status, 200);
    const stored = read.body as Json;
    assert.equal(stored.title, 'Write the docs');
    assert.equal(typeof stored.createdAt, 'string', 'createdAt is set by @createdTime');
    assert.equal(typeof stored.updatedAt, 'string', 'updatedAt is set by @updatedTime');

    const patched = await app.request(`/Todo/${String(todo.id)}`, { method: 'PATCH', body: { done: true } });
    assert.equal(patched.status, 204, patched.text);
    const afterPatch = (await app.request(`/Todo/${String(todo.id)}`)).body as Json;
    assert.equal(afterPatch.done, true);
    assert.equal(afterPatch.title, 'Write the docs', 'PATCH keeps the attributes it does not send');

    const replaced = await app.request('/Todo/chosen-id', { method: 'PUT', body: { title: 'Put with an id', done: false } });
    assert.equal(replaced.status, 204, replaced.text);

    const list = await app.request('/Todo/');
    assert.equal(list.status, 200);
    assert.ok(Array.isArray(list.body));
    const ids = (list.body as Json[]).map((item) => item.id);
    assert.ok(ids.includes(todo.id) && ids.includes('chosen-id'), `both todos are listed: ${list.text}`);

    assert.equal((await app.request(`/Todo/${String(todo.id)}`, { method: 'DELETE' })).status, 204);
    assert.equal((await app.request(`/Todo/${String(todo.id)}`)).status, 404);
    assert.equal((await app.request('/Todo/chosen-id', { method: 'DELETE' })).status, 204);
  });

  test('rejects a todo without a title, as problem+json', async () => {
    const response = await app.request('/Todo/', { method: 'POST', body: { done: false } });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal((response.body as Json).code, 'VALIDATION_FAILED');
  });

  test('answers 404 with problem+json for a todo that does not exist', async () => {
    const response = await app.request('/Todo/no-such-todo');
    assert.equal(response.status, 404);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = response.body as Json;
    assert.equal(problem.status, 404);
    assert.equal(problem.code, 'NOT_FOUND');
  });

  test('/Stats counts todos and comments', async () => {
    const initial = (await app.request('/Stats')).body as Record<string, number>;
    const open = await createTodo('Open one');
    const finished = await createTodo('Finished one');
    await app.request(`/Todo/${String(finished.id)}`, { method: 'PATCH', body: { done: true } });
    const comment = await app.request('/Comment/', { method: 'POST', body: { todoId: open.id, text: 'soon' } });
    assert.equal(comment.status, 201, comment.text);

    const response = await app.request('/Stats');
    assert.equal(response.status, 200);
    const stats = response.body as Record<string, number>;
    assert.deepEqual(stats, {
      todos: initial.todos! + 2,
      done: initial.done! + 1,
      open: initial.open! + 1,
      comments: initial.comments! + 1,
    });
  });

  test('stores a valid comment, with its text trimmed', async () => {
    const todo = await createTodo('Comment on me');
    const created = await app.request('/Comment/', { method: 'POST', body: { todoId: todo.id, text: '  Looks good  ' } });
    assert.equal(created.status, 201, created.text);
    const location = created.headers.get('location');
    assert.match(location ?? '', /^\/Comment\/.+/);

    const read = await app.request(location!);
    assert.equal(read.status, 200);
    assert.equal((read.body as Json).text, 'Looks good');
    assert.equal((read.body as Json).todoId, todo.id);
  });

  test('rejects an invalid comment with every problem listed, and stores nothing', async () => {
    const countBefore = ((await app.request('/Comment/')).body as unknown[]).length;
    const response = await app.request('/Comment/', { method: 'POST', body: { todoId: 'missing', text: '   ' } });
    assert.equal(response.status, 400);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    const problem = response.body as { code: string; errors: { path: string; message: string }[] };
    assert.equal(problem.code, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors.map((error) => error.path).sort(), ['text', 'todoId']);
    assert.equal(((await app.request('/Comment/')).body as unknown[]).length, countBefore);
  });

  test('validates the attributes a PATCH sends and keeps the others', async () => {
    const todo = await createTodo('Patch a comment');
    const created = await app.request('/Comment/', { method: 'POST', body: { todoId: todo.id, text: 'first' } });
    const path = created.headers.get('location')!;

    const blank = await app.request(path, { method: 'PATCH', body: { text: '' } });
    assert.equal(blank.status, 400);
    assert.deepEqual((blank.body as { errors: { path: string }[] }).errors.map((error) => error.path), ['text']);

    const edited = await app.request(path, { method: 'PATCH', body: { text: ' second ' } });
    assert.equal(edited.status, 204, edited.text);
    const read = (await app.request(path)).body as Json;
    assert.equal(read.text, 'second');
    assert.equal(read.todoId, todo.id);
  });
});
