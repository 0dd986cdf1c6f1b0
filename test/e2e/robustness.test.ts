import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LodeProcess, writeApp } from '../support/lode-process.js';

const files = {
  'schema.graphql': `
type Item @table @export {
  id: ID @primaryKey
  name: String
}
`,
  'resources.ts': `
import { Resource } from 'lode';
export class Broken extends Resource {
  static *get() {
    // More than one whole-response buffer, so the status has gone out before the failure.
    for (let i = 0; i < 2000; i++) yield { row: i, padding: 'x'.repeat(100) };
    throw new Error('mid-stream failure');
  }
}
export class BrokenEarly extends Resource {
  static *get() {
    yield { first: true };
    throw new Error('early failure');
  }
}
export class Slow extends Resource {
  static async get() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    return { slow: true };
  }
}
`,
  'web/index.html': '<!doctype html><title>Lode app</title><h1>Hello</h1>',
  'web/app.js': 'console.log("app");',
};

/** Sends raw bytes on a fresh TCP connection and closes it right away (a client that vanishes). */
function vanish(url: string, bytes: string): Promise<void> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 30);
    });
    socket.on('error', reject);
  });
}

describe('a server that bad clients cannot take down', { timeout: 60000 }, () => {
  let lode: LodeProcess;
  let app: Awaited<ReturnType<typeof writeApp>>;

  before(async () => {
    app = await writeApp(files);
    lode = await LodeProcess.start(['run', app.dir]);
  });

  after(async () => {
    await lode.stop();
    await app.remove();
  });

  test('clients that disconnect mid-request or mid-body', async () => {
    await vanish(lode.url, 'GET /Slow/1 HTTP/1.1\r\nHost: x\r\n\r\n');
    await vanish(lode.url, 'PUT /Item/a HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name":');
    await vanish(lode.url, 'GET /Item/ HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal((await fetch(`${lode.url}/health`)).status, 200);
    assert.equal((await fetch(`${lode.url}/Item/a`)).status, 404, 'a half-sent body writes nothing');
    assert.equal(lode.child.exitCode, null);
    assert.doesNotMatch(lode.output, /must not be accessed|forbidden|terminate/);
  });

  test('hostile paths: bad percent-encoding, traversal, odd ids', async () => {
    const malformed = await fetch(`${lode.url}/Item/%E0%A4%A`);
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { code: string }).code, 'BAD_REQUEST');
    assert.equal((await fetch(`${lode.url}/%E0%A4%A/1`)).status, 400);
    for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2fetc%2fpasswd', '/web/../../etc/passwd']) {
      const res = await fetch(`${lode.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /root:/);
    }
    const deep = await fetch(`${lode.url}/Item/deep`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: `{"name":"x","extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
    });
    assert.equal(deep.status, 400, 'a 100,000-deep body is refused, not a stack overflow');
    assert.equal(((await deep.json()) as { code: string }).code, 'VALIDATION_FAILED');
    const proto = await fetch(`${lode.url}/Item/__proto__`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"name":"odd"}' });
    assert.equal(proto.status, 204);
    assert.equal(((await (await fetch(`${lode.url}/Item/__proto__`)).json()) as { name: string }).name, 'odd');
  });

  test('a stream that fails after its status was sent is cut off, never followed by a second response', async () => {
    // Headers still corked or body cut short: either way the client sees a failed, not a complete, response.
    await assert.rejects(
      fetch(`${lode.url}/Broken/`).then((res) => res.text()),
      'the client sees an incomplete response',
    );
    await lode.waitForOutput(/failed while streaming: Error: mid-stream failure/, 2000);
    assert.equal((await fetch(`${lode.url}/health`)).status, 200);
  });

  test('a small result that fails while it is being encoded is still a problem+json 500', async () => {
    const res = await fetch(`${lode.url}/BrokenEarly/`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await res.json()) as { code: string }).code, 'INTERNAL');
  });

  test('static files from web/, and / as HTML for browsers', async () => {
    const page = await fetch(`${lode.url}/`, { headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /text\/html/);
    assert.match(await page.text(), /<h1>Hello<\/h1>/);
    const script = await fetch(`${lode.url}/app.js`);
    assert.match(script.headers.get('content-type')!, /javascript/);
    const listing = (await (await fetch(`${lode.url}/`)).json()) as { resources: unknown[] };
    assert.ok(Array.isArray(listing.resources));
  });

  test('SIGTERM lets an in-flight request finish, then exits 0', async () => {
    const inFlight = fetch(`${lode.url}/Slow/1`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    lode.child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { slow: true });
    assert.equal(await lode.exited, 0);
  });
});
