export { ContextStore, type RequestContext, type RequestHeaders } from './context.js';
export {
  Resource,
  allowedMethods,
  isResponseLike,
  resourceMethods,
  type RequestTarget,
  type ResourceClass,
  type ResourceId,
  type ResourceMethod,
  type ResponseLike,
} from './resource.js';
export { TableResource, bindTableResource, followSources, stopSources, type TableResourceClass } from './table-resource.js';
export { SourceCache, cacheDirectives, type CacheOptions, type CacheSource, type SourceContext, type SourceEvent } from './source-cache.js';
export type { CachedEntry } from './cached-read.js';
export {
  ResourceRegistry,
  collectExports,
  isResourceClass,
  type AttributeSummary,
  type CollectedExport,
  type MountedResource,
  type RouteMatch,
} from './registry.js';
export { bindRoute, decodePath, declaredPath, parseRoute, routeOf, type RouteBinding, type RoutePattern } from './route-pattern.js';
export { runInTransaction, runTransaction, transactionOf, type TransactionBody, type TransactionFunction } from './transaction-scope.js';
export type { UpdatableMethods, UpdatableRecord } from './updatable-record.js';
export { actionOf, checkAccess } from './access-check.js';
