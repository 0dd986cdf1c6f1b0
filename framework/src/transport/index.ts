export { HttpServer, type HttpServerOptions } from './http-server.js';
export { DEFAULT_HEARTBEAT_MS, DEFAULT_MAX_BUFFERED_BYTES, type RealtimeOptions } from './live-connect.js';
export { StaticFiles } from './static-files.js';
export { toProblem, type Problem } from './problem.js';
export { encodeJson, jsonCodec, msgpackCodec, cborCodec, type Codec, type ResponseFormat } from './codecs.js';
export { csvFormat } from './csv.js';
export { negotiate } from './negotiate.js';
export type { RouteTable } from './routes.js';
