export { HttpServer, type HttpServerOptions } from './http-server.js';
export { StaticFiles } from './static-files.js';
export { toProblem, type Problem } from './problem.js';
export { encodeJson, negotiate, jsonCodec, msgpackCodec, type Codec } from './codecs.js';
export type { RouteTable } from './routes.js';
