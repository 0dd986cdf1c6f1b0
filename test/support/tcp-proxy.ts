import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port that forwards every connection to `target`, for making
 * network partitions: `cut()` destroys every connection through it and refuses new ones (the
 * proxy keeps its port, so peers retry against it), `heal()` lets connections through again.
 */
export class TcpProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #targetPort: number;
  readonly #targetHost: string;
  #cut = false;
  /** Connections accepted, and refused while cut. */
  connections = 0;
  refused = 0;
  port = 0;

  private constructor(targetPort: number, targetHost: string) {
    this.#targetPort = targetPort;
    this.#targetHost = targetHost;
    this.#server = createServer((client) => this.#accept(client));
  }

  static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort, targetHost);
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject);
      proxy.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = proxy.#server.address();
    if (address === null || typeof address === 'string') throw new Error('the proxy has no port');
    proxy.port = address.port;
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get isCut(): boolean {
    return this.#cut;
  }

  /** Ends every connection at once (no close handshake, like a pulled cable) and refuses new ones. */
  cut(): void {
    this.#cut = true;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }

  heal(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(client: Socket): void {
    if (this.#cut) {
      this.refused++;
      client.destroy();
      return;
    }
    this.connections++;
    const upstream = createConnection(this.#targetPort, this.#targetHost);
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.setNoDelay(true);
      // Either end failing or closing takes the other down with it, as a real connection would.
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.#sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
