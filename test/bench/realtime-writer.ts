// The real-time benchmark's writer, in a process of its own so that sending writes does not delay
// the subscribers' clock: PUTs at a fixed rate, each carrying its send time on the shared clock
// (epoch ms with sub-millisecond precision), after a warm-up; prints its PUT latencies when done.
import { keptAlivePutter } from './kept-alive-put.js';

const [url, rate, seconds] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (time: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, time));
const { put, close } = keptAlivePutter(url);

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
close();
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] }));
