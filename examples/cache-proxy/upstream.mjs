// A deliberately slow JSON API to put the cache in front of (plain Node, no dependencies):
//   GET   /posts/{id}   a post (ids 1 to 100), or 404
//   PATCH /posts/{id}   merges the JSON body into the post, so there is a change for the cache to pick up
// Every request waits DELAY_MS (300 by default) and is printed with a running count, so you can see
// which reads reach it and which the cache answers alone. PORT (default 9930; 0 picks a free one).
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 9930);
const delayMs = Number(process.env.DELAY_MS ?? 300);

/** Posts shaped like https://jsonplaceholder.typicode.com/posts/{id}. */
const posts = new Map();
for (let id = 1; id <= 100; id++) {
  posts.set(id, { id, userId: Math.ceil(id / 10), title: `Post number ${id}`, body: `The text of post ${id}.` });
}

let requests = 0;

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  return status;
}

async function answer(req, res) {
  const id = Number(/^\/posts\/(\d+)$/.exec(req.url ?? '')?.[1]);
  const post = posts.get(id);
  if (post === undefined) return send(res, 404, { error: `no post at ${req.url}` });
  if (req.method === 'GET') return send(res, 200, post);
  if (req.method === 'PATCH') {
    let text = '';
    for await (const chunk of req) text += chunk;
    let changes;
    try {
      changes = JSON.parse(text);
    } catch {
      return send(res, 400, { error: 'the body must be JSON' });
    }
    posts.set(id, { ...post, ...changes, id });
    return send(res, 200, posts.get(id));
  }
  res.setHeader('allow', 'GET, PATCH');
  return send(res, 405, { error: `${req.method} is not supported` });
}

const server = createServer(async (req, res) => {
  const number = ++requests;
  const started = Date.now();
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  const status = await answer(req, res);
  console.log(`#${number} ${req.method} ${req.url} -> ${status} (${Date.now() - started} ms)`);
});

server.listen(port, '127.0.0.1', () => {
  console.log(`Slow upstream listening on http://127.0.0.1:${server.address().port} (${delayMs} ms per request)`);
});
