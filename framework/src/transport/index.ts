export { HttpServer, type HttpServerOptions } from './http-server.js';
export { StaticFiles } from './static-files.js';
export { toProblem, type Problem } from './problem.js';
export { encodeJson, jsonCodec, msgpackCodec, cborCodec, type Codec, type ResponseFormat } from './codecs.js';
export { csvFormat } from './csv.js';
export { negotiate } from './negotiate.js';
export type { RouteTable } from './routes.js';
