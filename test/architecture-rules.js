// The allowed dependencies between framework/src modules, lowest layer first (DESIGN.md;
// `query` sits below `resources` because `tables.X.search()` runs queries).
// A module may import only the modules listed for it, and only through their index.ts.
export const moduleLayers = {
  errors: [],
  util: [],
  schema: ['errors', 'util'],
  storage: ['errors', 'util', 'schema'],
  query: ['errors', 'util', 'schema', 'storage'],
  resources: ['errors', 'util', 'schema', 'storage', 'query'],
  transport: ['errors', 'util', 'schema', 'resources'],
  app: ['errors', 'util', 'schema', 'storage', 'query', 'resources', 'transport'],
  dev: ['errors', 'util', 'schema', 'app'],
  testing: ['errors', 'util', 'app'],
  cli: ['errors', 'util', 'app', 'dev'],
};
