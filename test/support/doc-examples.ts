import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startTestApp } from '../../framework/src/testing/index.js';
import { SseClient } from './live-clients.js';
import { assertSubset } from './subset.js';

interface Exchange {
  kind: 'http' | 'sse';
  request: string;
  response: string;
}

/**
 * The schema, the resources (a `ts` block starting `// resources.ts`, if any) and the request/response
 * pairs (`http` then `http-response` blocks) of a doc page, in order.
 */
function examplesOf(markdown: string): { schema: string; resources: string | undefined; exchanges: Exchange[] } {
  const blocks = [...markdown.matchAll(/^```([\w-]+)\n([\s\S]*?)^```$/gm)].map((match) => ({ lang: match[1]!, text: match[2]! }));
  const exchanges: Exchange[] = [];
  blocks.forEach((block, index) => {
    if (block.lang !== 'http' && block.lang !== 'sse') return;
    const expected = block.lang === 'http' ? 'http-response' : 'sse-events';
    const next = blocks[index + 1];
    assert.equal(next?.lang, expected, `the ${block.lang} block "${block.text.split('\n')[0]}" is followed by an ${expected} block`);
    exchanges.push({ kind: block.lang, request: block.text, response: next.text });
  });
  const resources = blocks.find((block) => block.lang === 'ts' && block.text.startsWith('// resources.ts'))?.text;
  return { schema: blocks.find((block) => block.lang === 'graphql')?.text ?? '', resources, exchanges };
}

/** Splits `first line / headers / blank line / body`. */
function parseMessage(text: string): { first: string; headers: Map<string, string>; body: string } {
  const [head = '', ...rest] = text.split(/\n\n/);
  const [first = '', ...headerLines] = head.split('\n');
  const headers = new Map(headerLines.filter((line) => line.includes(':')).map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { first, headers, body: rest.join('\n\n').replace(/\n$/, '') };
}

/**
 * Opens the documented event stream and compares the first events with the documented ones: the
 * event name and id exactly, the data as a subset (so examples can leave out versions).
 */
async function checkEvents(url: string, request: string, documented: string): Promise<void> {
  const sent = parseMessage(request);
  const path = sent.first.split(' ')[1]!;
  const expected = documented.trim().split(/\n\n/).map((frame) => {
    const fields = new Map(frame.split('\n').map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]));
    return { event: fields.get('event'), id: fields.get('id'), data: JSON.parse(fields.get('data') ?? 'null') as unknown };
  });
  const client = await SseClient.open(url + path, Object.fromEntries(sent.headers));
  try {
    const events = await client.waitFor(expected.length);
    expected.forEach((frame, index) => {
      const event = events[index]!;
      const label = `${sent.first}, event ${index + 1}`;
      assert.equal(event.event, frame.event, label);
      assert.equal(event.id, frame.id, label);
      assertSubset(JSON.parse(event.data), frame.data, label);
    });
  } finally {
    client.close();
  }
}

/** Checks a response body against the documented one; `label` names the example. */
export type BodyCheck = (res: Response, body: Buffer, documented: string, label: string) => void;

/**
 * Replays every example of `docs/<page>` in order against a fresh app with the page's schema: the
 * status and each documented header must match, and `checkBody` compares documented bodies.
 */
export async function replayDocExamples(page: string, checkBody: BodyCheck): Promise<void> {
  const { schema, resources, exchanges } = examplesOf(readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8'));
  assert.ok(exchanges.length >= 4, `found ${exchanges.length} examples`);
  const app = await startTestApp({ files: { 'schema.graphql': schema, ...(resources !== undefined && { 'resources.ts': resources }) } });
  try {
    for (const { kind, request, response } of exchanges) {
      if (kind === 'sse') {
        await checkEvents(app.url, request, response);
        continue;
      }
      const sent = parseMessage(request);
      const [method, path] = sent.first.split(' ');
      const res = await fetch(app.url + path, { method, headers: Object.fromEntries(sent.headers), body: sent.body === '' ? undefined : sent.body });
      const expected = parseMessage(response);
      const label = `${sent.first} → ${expected.first}`;
      assert.equal(`HTTP ${res.status}`, expected.first, label);
      for (const [name, value] of expected.headers) {
        assert.ok(res.headers.get(name)?.startsWith(value), `${label}: ${name} is ${res.headers.get(name)}, expected ${value}`);
      }
      const body = Buffer.from(await res.arrayBuffer());
      if (expected.body !== '') checkBody(res, body, expected.body, label);
    }
  } finally {
    await app.close();
  }
}
