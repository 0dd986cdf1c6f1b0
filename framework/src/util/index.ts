export { HybridLogicalClock, compareVersions, versionTime, LOGICAL_BITS_FACTOR, type WallClock } from './hlc.js';
export { consoleLogger, silentLogger, type Logger } from './logger.js';
export { isPromiseLike } from './promise.js';
