// One process of the fan-out benchmark's clients: opens its share of WebSocket subscribers, says
// "ready", then for each round prints when the last of them received the round's event, on the
// shared clock (so several processes can split the work).
//
// A load generator rather than a library client: each subscriber is a bare TCP socket that does
// the RFC 6455 handshake and then only splits the server's (unmasked) frames, without decoding
// them. With the `ws` package, one process decoding 5,000 frames took ~100 ms whichever server
// sent them, so it measured itself instead of the servers.
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

const [url, count, rounds] = [new URL(process.argv[2]!), Number(process.argv[3]), Number(process.argv[4])];
const now = (): number => performance.timeOrigin + performance.now();

/** Counts whole data frames (not pings) in a stream of server frames; returns the bytes of an unfinished one. */
function countFrames(buffer: Buffer, onFrame: () => void): Buffer {
  let offset = 0;
  for (;;) {
    if (buffer.length - offset < 2) break;
    const short = buffer[offset + 1]! & 0x7f;
    const header = short === 126 ? 4 : short === 127 ? 10 : 2;
    if (buffer.length - offset < header) break;
    const length = short === 126 ? buffer.readUInt16BE(offset + 2) : short === 127 ? Number(buffer.readBigUInt64BE(offset + 2)) : short;
    if (buffer.length - offset < header + length) break;
    const opcode = buffer[offset]! & 0x0f;
    offset += header + length;
    if (opcode === 1 || opcode === 2) onFrame();
  }
  return buffer.subarray(offset);
}

/** A subscriber: resolves once the upgrade is done and the first frame (the `ready` event) is in. */
function subscribe(onFrame: () => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.write(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let pending: Buffer = Buffer.alloc(0);
    let upgraded = false;
    let frames = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      if (!upgraded) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!pending.subarray(0, 12).toString().endsWith('101')) return reject(new Error(pending.subarray(0, end).toString()));
        upgraded = true;
        pending = pending.subarray(end + 4);
      }
      pending = countFrames(pending, () => (++frames === 1 ? resolve(socket) : onFrame()));
    });
  });
}

let remaining = 0;
let roundDone: ((at: number) => void) | undefined;
const onFrame = (): void => {
  if (--remaining === 0) roundDone?.(now());
};

const sockets: Socket[] = [];
for (let start = 0; start < count; start += 250) {
  sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, count - start) }, () => subscribe(onFrame)))));
}

for (let round = 0; round < rounds; round++) {
  remaining = count;
  const last = new Promise<number>((resolve) => (roundDone = resolve));
  console.log('ready');
  console.log(`last ${await last}`);
}
for (const socket of sockets) socket.destroy();
