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
export { TableResource, bindTableResource, type TableResourceClass } from './table-resource.js';
export {
  ResourceRegistry,
  collectExports,
  decodePath,
  isResourceClass,
  type AttributeSummary,
  type CollectedExport,
  type MountedResource,
  type RouteMatch,
} from './registry.js';
