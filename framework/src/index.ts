/**
 * Lode's public API. Inside an app's resource code, `tables`, `databases` and `getContext` are the
 * running app's own (the loader links them); imported anywhere else they explain that they need an app.
 */
import type { RequestContext, TransactionFunction } from './resources/index.js';

export { LodeError, errorCatalog, type ErrorCode, type ErrorDetail } from './errors/index.js';
export {
  Resource,
  TableResource,
  type RequestContext,
  type RequestTarget,
  type ResourceId,
  type ResponseLike,
  type TableResourceClass,
  type TransactionBody,
  type UpdatableRecord,
} from './resources/index.js';
export type { Transaction } from './storage/index.js';
export type { TableDef, AttributeDef, TypeRef, Diagnostic, SourceLocation } from './schema/index.js';
export type { QueryObject, QueryCondition, QueryConditionGroup, QueryComparatorName, QueryScalar, QuerySelect, QuerySelectField, QuerySort } from './query/index.js';
export { LiveEvent, type EventEnvelope } from './realtime/index.js';
export { App, type AppOptions } from './app/index.js';

/** The app's tables by type name; `.lode/types.d.ts` (generated from the schema) adds each table's type. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Tables {}
/** Tables grouped by database name (`@table(database:)`, default `data`). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Databases {}

function outsideApp(name: string): never {
  throw new Error(`lode: \`${name}\` is only available in resource modules loaded by a Lode app`);
}

const unlinked = (name: string): object =>
  new Proxy({}, { get: (_target, property) => (typeof property === 'symbol' ? undefined : outsideApp(name)) });

export const tables = unlinked('tables') as Tables;
export const databases = unlinked('databases') as Databases;
export function getContext(): RequestContext | undefined {
  return outsideApp('getContext');
}
/**
 * Runs `fn` in a transaction: its reads see its own writes, and the writes commit together when
 * `fn` returns (or abort when it throws). Inside a request, it joins the request's transaction.
 */
export const transaction: TransactionFunction = () => outsideApp('transaction');
