// The real-time benchmark's writer, in a process of its own so that sending writes does not delay
// the subscribers' clock: PUTs at a fixed rate, each carrying its send time on the shared clock
// (epoch ms with sub-millisecond precision), after a warm-up; prints its PUT latencies when done.
const [url, rate, seconds] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (time: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, time));

// One second of unstamped writes first, so the JIT and connection pool of both ends are warm.
for (let i = 0; i < rate; i += 10) {
  await Promise.all(Array.from({ length: 10 }, (_, j) => fetch(`${url}/Item/warm${(i + j) % 500}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i + j }) }).then((res) => res.arrayBuffer())));
}

const total = rate * seconds;
const latencies: number[] = [];
const started = performance.now();
const writes: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const wait = started + (i * 1000) / rate - performance.now();
  if (wait > 1) await sleep(wait);
  const sent = now();
  writes.push(
    fetch(`${url}/Item/k${i % 500}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: i, t: sent }) }).then(async (res) => {
      await res.arrayBuffer();
      if (res.status !== 204) throw new Error(`PUT failed: ${res.status}`);
      latencies.push(now() - sent);
    }),
  );
}
await Promise.all(writes);
latencies.sort((a, b) => a - b);
console.log(JSON.stringify({ p50: latencies[Math.floor(latencies.length / 2)], p99: latencies[Math.floor(latencies.length * 0.99)] }));
