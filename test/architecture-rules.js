// The allowed dependencies between framework/src modules, lowest layer first (DESIGN.md;
// `query` sits below `resources` because `tables.X.search()` runs queries, and `realtime` above
// `query`, because filtered subscriptions evaluate query conditions).
// A module may import only the modules listed for it, and only through their index.ts.
export const moduleLayers = {
  errors: [],
  util: [],
  schema: ['errors', 'util'],
  storage: ['errors', 'util', 'schema'],
  query: ['errors', 'util', 'schema', 'storage'],
  realtime: ['errors', 'util', 'schema', 'storage', 'query'],
  auth: ['errors', 'util', 'storage'],
  resources: ['errors', 'util', 'schema', 'storage', 'query', 'realtime', 'auth'],
  transport: ['errors', 'util', 'schema', 'realtime', 'auth', 'resources'],
  replication: ['errors', 'util', 'schema', 'storage'],
  app: ['errors', 'util', 'schema', 'storage', 'query', 'realtime', 'auth', 'resources', 'transport', 'replication'],
  dev: ['errors', 'util', 'schema', 'app'],
  testing: ['errors', 'util', 'app'],
  cli: ['errors', 'util', 'auth', 'app', 'dev'],
};
