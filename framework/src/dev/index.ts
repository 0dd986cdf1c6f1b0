export { DevServer, type DevServerOptions } from './dev-server.js';
