export { errorCatalog, type ErrorCode } from './catalog.js';
export { LodeError, isLodeError, type ErrorDetail, type LodeErrorOptions } from './lode-error.js';
