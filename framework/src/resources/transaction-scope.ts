import { LodeError } from '../errors/index.js';
import { Transaction } from '../storage/index.js';
import { isPromiseLike } from '../util/index.js';
import type { ContextStore, RequestContext } from './context.js';

/** How often a unit of work is run again after a write conflict before the client gets the 409. */
const MAX_ATTEMPTS = 5;

/**
 * The open transaction reads and writes under `context` join: the context's own, created on first
 * use when the context is transactional. Undefined outside a context, on a live connection, and
 * once the context's transaction has committed (later writes then commit at once, as Harper's do).
 */
export function transactionOf(context: RequestContext | undefined): Transaction | undefined {
  if (context === undefined) return undefined;
  const current = context.transaction;
  if (current !== undefined) return current.isOpen ? current : undefined;
  return context.transactional ? (context.transaction = new Transaction({ lazySnapshot: true })) : undefined;
}

function isWriteConflict(error: unknown): boolean {
  return error instanceof LodeError && error.code === 'WRITE_CONFLICT';
}

/** A context's state from a failed attempt does not leak into the next one. */
function resetContext(context: RequestContext): void {
  context.transaction = undefined;
  context.status = undefined;
  context.record = undefined;
  for (const name of Object.keys(context.responseHeaders)) delete context.responseHeaders[name];
}

/**
 * Runs one unit of work, `fn.apply(self, args)` under the context (spelled out so a request needs
 * no closure), and commits the transaction it opened: the result is returned only after the
 * commit, a throw aborts it, and a write conflict runs the work again. Stays synchronous when
 * nothing was written, so plain reads answer without a promise.
 */
export function runInTransaction(contexts: ContextStore, context: RequestContext, fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[], attempt = 1): unknown {
  let result: unknown;
  try {
    result = contexts.call(context, fn, self, args);
  } catch (error) {
    context.transaction?.abort();
    throw error;
  }
  if (isPromiseLike(result)) {
    // The work goes on in later turns: its reads from here on need a snapshot of their own.
    context.transaction?.pin();
    return Promise.resolve(result).then(
      (value) => settle(contexts, context, value, fn, self, args, attempt),
      (error: unknown) => {
        context.transaction?.abort();
        throw error;
      },
    );
  }
  return settle(contexts, context, result, fn, self, args, attempt);
}

function settle(contexts: ContextStore, context: RequestContext, value: unknown, fn: (...args: unknown[]) => unknown, self: unknown, args: unknown[], attempt: number): unknown {
  const transaction = context.transaction;
  if (transaction === undefined || !transaction.isOpen) return value;
  if (!transaction.hasWrites) {
    transaction.abort();
    return value;
  }
  return transaction.commit().then(
    () => value,
    async (error: unknown) => {
      if (!isWriteConflict(error) || attempt >= MAX_ATTEMPTS) throw error;
      resetContext(context);
      // Spread the retries of writers that collided, so they do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * attempt));
      return runInTransaction(contexts, context, fn, self, args, attempt + 1);
    },
  );
}

/** The context of work outside an HTTP request (`transaction(fn)` from a script, a timer or a live connection). */
class WorkContext implements RequestContext {
  readonly method: string;
  readonly url: string;
  readonly headers: RequestContext['headers'];
  readonly ip: string;
  readonly timestamp = Date.now();
  readonly responseHeaders: Record<string, string>;
  readonly transactional = true;
  readonly signal: AbortSignal | undefined;
  user?: unknown;
  status?: number;
  record?: { value: object; version: number };
  transaction?: Transaction;

  constructor(outer: RequestContext | undefined) {
    this.method = outer?.method ?? '';
    this.url = outer?.url ?? '';
    this.headers = outer?.headers ?? new Map();
    this.ip = outer?.ip ?? '';
    this.responseHeaders = outer?.responseHeaders ?? {};
    this.signal = outer?.signal;
    this.user = outer?.user;
  }
}

export type TransactionBody<T> = (transaction: Transaction) => T | Promise<T>;

/** `transaction(context?, fn)` as resource code imports it from `lode`. */
export type TransactionFunction = <T>(contextOrBody: RequestContext | TransactionBody<T>, body?: TransactionBody<T>) => Promise<T>;

/**
 * Harper's `transaction(context?, fn)`: runs `fn` in a transaction that commits when it returns
 * (or its promise resolves) and aborts when it throws; a write conflict runs it again. Inside a
 * context that already has an open transaction, `fn` joins that one.
 */
export function runTransaction<T>(contexts: ContextStore, contextOrBody: RequestContext | TransactionBody<T>, maybeBody?: TransactionBody<T>): Promise<T> {
  const outer = typeof contextOrBody === 'function' ? contexts.getContext() : contextOrBody;
  const body = typeof contextOrBody === 'function' ? contextOrBody : maybeBody;
  if (typeof body !== 'function') throw new LodeError('BAD_REQUEST', 'transaction() needs a function to run: transaction(context?, async (txn) => { … })');
  const open = transactionOf(outer);
  if (open !== undefined) return Promise.resolve(contexts.run(outer!, () => body(open)));
  const context = new WorkContext(outer);
  return Promise.resolve(runInTransaction(contexts, context, () => body(transactionOf(context)!), undefined, [])) as Promise<T>;
}
