import { errorCatalog, type ErrorCode } from './catalog.js';

/** One field or position at fault, e.g. `{ path: 'price', message: 'must be a number' }`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface LodeErrorOptions {
  errors?: ErrorDetail[];
  headers?: Record<string, string>;
  cause?: unknown;
}

/** An expected failure with a catalog code; its stack is not captured because it is not a bug. */
export class LodeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, detail?: string, options: LodeErrorOptions = {}) {
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(detail ?? errorCatalog[code].title, options.cause === undefined ? undefined : { cause: options.cause });
    Error.stackTraceLimit = stackLimit;
    this.name = 'LodeError';
    this.code = code;
    this.status = errorCatalog[code].status;
    this.errors = options.errors;
    this.headers = options.headers;
  }
}

export function isLodeError(error: unknown): error is LodeError {
  return error instanceof LodeError;
}
