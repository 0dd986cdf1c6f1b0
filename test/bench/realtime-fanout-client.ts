// One process of the fan-out benchmark's clients: opens its share of WebSocket subscribers, says
// "ready", then for each round prints when the last of them received the round's event, on the
// shared clock (so several processes can split the work of decoding frames).
import WebSocket from 'ws';

const [url, count, rounds] = [process.argv[2]!, Number(process.argv[3]), Number(process.argv[4])];
const now = (): number => performance.timeOrigin + performance.now();

const sockets: WebSocket[] = [];
for (let start = 0; start < count; start += 250) {
  const batch = Array.from({ length: Math.min(250, count - start) }, () => {
    const socket = new WebSocket(url);
    sockets.push(socket);
    return new Promise<void>((resolve, reject) => {
      socket.once('message', () => resolve());
      socket.once('error', reject);
    });
  });
  await Promise.all(batch);
}

for (let round = 0; round < rounds; round++) {
  let remaining = count;
  const last = new Promise<number>((resolve) => {
    for (const socket of sockets) socket.once('message', () => --remaining === 0 && resolve(now()));
  });
  console.log('ready');
  console.log(`last ${await last}`);
}
for (const socket of sockets) socket.terminate();
