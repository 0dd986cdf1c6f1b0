// The query benchmark's baseline: bare uWebSockets.js + lmdb-js answering each question by a full
// scan of the table, stopping early when a limit is reached (what hand-written code would do).
import { open } from 'lmdb';
import { App, us_socket_local_port, type HttpResponse } from 'uWebSockets.js';
import { BRANDS, PRODUCTS, brand, product } from './query-records.js';

type Product = ReturnType<typeof product>;
const [dataDir] = process.argv.slice(2);
const root = open({ path: dataDir! });
const db = root.openDB<Product, number>({ name: 'Product' });
const brands = root.openDB<ReturnType<typeof brand>, string>({ name: 'Brand' });
db.transactionSync(() => {
  for (let i = 0; i < PRODUCTS; i++) db.putSync(i, product(i));
  for (let i = 0; i < BRANDS; i++) brands.putSync(`b${i}`, brand(i));
});

function scan(test: (row: Product) => boolean, limit = Infinity): Product[] {
  const found: Product[] = [];
  for (const { value } of db.getRange()) {
    if (test(value) && found.push(value) >= limit) break;
  }
  return found;
}

const json = (res: HttpResponse, value: unknown): void => void res.writeHeader('Content-Type', 'application/json').end(JSON.stringify(value));

App()
  .get('/Product/:id', (res, req) => json(res, db.get(Number(req.getParameter(0)))))
  .get('/scan/eq/:category', (res, req) => {
    const category = req.getParameter(0);
    json(res, scan((row) => row.category === category, 10));
  })
  .get('/scan/range', (res) => json(res, scan((row) => row.price > 100 && row.price < 200).sort((a, b) => b.price - a.price || a.id - b.id).slice(0, 20)))
  .get('/scan/and/:category', (res, req) => {
    const category = req.getParameter(0);
    json(res, scan((row) => row.category === category && row.price < 50));
  })
  .get('/scan/or/:a/:b', (res, req) => {
    const [a, b] = [req.getParameter(0), req.getParameter(1)];
    json(res, scan((row) => row.category === a || row.category === b, 10));
  })
  .get('/scan/join/:brand', (res, req) => {
    const name = decodeURIComponent(req.getParameter(0) ?? '');
    const ids = new Set<string>();
    for (const { key, value } of brands.getRange()) if (value.name === name) ids.add(key);
    json(res, scan((row) => ids.has(row.brandId), 10));
  })
  .listen('127.0.0.1', 0, (socket) => {
    if (!socket) throw new Error('query baseline could not listen');
    console.log(`query baseline listening on http://127.0.0.1:${us_socket_local_port(socket as never)}`);
  });
