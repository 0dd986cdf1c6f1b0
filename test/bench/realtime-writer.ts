// The real-time benchmark's writer, in a process of its own so that sending writes does not delay
// the subscribers' clock: PUTs at a fixed rate, each carrying its send time on the shared clock
// (epoch ms with sub-millisecond precision), after a warm-up; prints its PUT latencies when done.
// It uses node:http with kept-alive connections rather than fetch: at 1,000 requests a second
// fetch cost the writer most of a core, which the servers under test then did not have.
import { Agent, request } from 'node:http';

const [url, rate, seconds] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (time: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, time));
const agent = new Agent({ keepAlive: true, maxSockets: 64 });

function put(path: string, body: unknown): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method: 'PUT', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 204 ? resolve() : reject(new Error(`PUT ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// One second of unstamped writes first, so the JIT and connection pool of both ends are warm.
for (let i = 0; i < rate; i += 10) {
  await Promise.all(Array.from({ length: 10 }, (_, j) => put(`/Item/warm${(i + j) % 500}`, { n: i + j })));
}

const total = rate * seconds;
const latencies: number[] = [];
const started = performance.now();
const writes: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const wait = started + (i * 1000) / rate - performance.now();
  if (wait > 1) await sleep(wait);
  const sent = now();
  writes.push(put(`/Item/k${i % 500}`, { n: i, t: sent }).then(() => void latencies.push(now() - sent)));
}
await Promise.all(writes);
agent.destroy();
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] }));
