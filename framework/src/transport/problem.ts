import { STATUS_CODES } from 'node:http';
import { errorCatalog, isLodeError, type ErrorDetail } from '../errors/index.js';

/** RFC 9457 problem details, with Lode's `code` and per-field `errors`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: ErrorDetail[];
}

export interface ProblemResponse {
  problem: Problem;
  headers: Record<string, string>;
  /** True when the error is a bug or failure worth logging (5xx). */
  unexpected: boolean;
}

function userStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { statusCode, status } = error as { statusCode?: unknown; status?: unknown };
  const candidate = typeof statusCode === 'number' ? statusCode : status;
  return typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599 ? candidate : undefined;
}

/** The one place where anything thrown becomes a response. */
export function toProblem(error: unknown): ProblemResponse {
  if (isLodeError(error)) {
    const problem: Problem = {
      type: `urn:lode:error:${error.code}`,
      title: errorCatalog[error.code].title,
      status: error.status,
      detail: error.message,
      code: error.code,
    };
    if (error.errors) problem.errors = error.errors;
    return { problem, headers: error.headers ?? {}, unexpected: error.code === 'INTERNAL' };
  }
  const status = userStatus(error);
  if (status !== undefined) {
    const message = error instanceof Error ? error.message : String((error as { message?: unknown }).message ?? '');
    return {
      problem: {
        type: 'urn:lode:error:HANDLER_ERROR',
        title: STATUS_CODES[status] ?? 'Error',
        status,
        detail: message || (STATUS_CODES[status] ?? 'Error'),
        code: 'HANDLER_ERROR',
      },
      headers: {},
      unexpected: status >= 500,
    };
  }
  return {
    problem: {
      type: 'urn:lode:error:INTERNAL',
      title: errorCatalog.INTERNAL.title,
      status: 500,
      detail: 'The server failed to handle this request; the error is in the server log.',
      code: 'INTERNAL',
    },
    headers: {},
    unexpected: true,
  };
}
