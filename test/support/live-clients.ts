import WebSocket from 'ws';

export interface SseEvent {
  event?: string;
  id?: string;
  data: string;
}

/** A Server-Sent Events client over fetch: parses `event:`/`id:`/`data:` frames as they arrive. */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly status: number;
  readonly headers: Headers;
  readonly #controller: AbortController;
  readonly done: Promise<void>;
  comments = 0;
  #waiters: (() => void)[] = [];

  private constructor(response: Response, controller: AbortController) {
    this.status = response.status;
    this.headers = response.headers;
    this.#controller = controller;
    this.done = this.#read(response).catch(() => undefined);
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const controller = new AbortController();
    const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
    return new SseClient(response, controller);
  }

  async #read(response: Response): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = { data: '' };
        const data: string[] = [];
        for (const line of frame.split('\n')) {
          if (line.startsWith(':')) this.comments++;
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('data: ')) data.push(line.slice(6));
        }
        if (data.length === 0) continue;
        event.data = data.join('\n');
        this.events.push(event);
      }
      for (const wake of this.#waiters.splice(0)) wake();
    }
  }

  /** Resolves once `count` events have arrived (or rejects after `ms`). */
  async waitFor(count: number, ms = 10_000): Promise<SseEvent[]> {
    const deadline = Date.now() + ms;
    while (this.events.length < count) {
      if (Date.now() > deadline) throw new Error(`waited for ${count} SSE events, got ${this.events.length}: ${JSON.stringify(this.events.slice(-3))}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.events.slice(0, count);
  }

  close(): void {
    this.#controller.abort();
  }
}

/** A `ws` client that records every frame it receives, decoded as JSON. */
export class WsClient {
  readonly socket: WebSocket;
  readonly messages: unknown[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data, isBinary) => this.messages.push(isBinary ? data : JSON.parse(String(data))));
    this.closed = new Promise((resolve) =>
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = String(reason);
        resolve();
      }),
    );
  }

  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    const socket = new WebSocket(url, options);
    const client = new WsClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('close', () => resolve());
    });
    return client;
  }

  async waitFor(count: number, ms = 10_000): Promise<unknown[]> {
    const deadline = Date.now() + ms;
    while (this.messages.length < count) {
      if (Date.now() > deadline) throw new Error(`waited for ${count} frames, got ${this.messages.length}: ${JSON.stringify(this.messages.slice(-3))}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.messages.slice(0, count);
  }

  close(): void {
    this.socket.close();
  }
}
