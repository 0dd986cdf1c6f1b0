// The allowed dependencies between framework/src modules, lowest layer first (DESIGN.md).
// A module may import only the modules listed for it, and only through their index.ts.
export const moduleLayers = {
  errors: [],
  util: [],
  schema: ['errors', 'util'],
  storage: ['errors', 'util', 'schema'],
  resources: ['errors', 'util', 'schema', 'storage'],
  transport: ['errors', 'util', 'schema', 'resources'],
  app: ['errors', 'util', 'schema', 'storage', 'resources', 'transport'],
  dev: ['errors', 'util', 'schema', 'app'],
  testing: ['errors', 'util', 'app'],
  cli: ['errors', 'util', 'app', 'dev'],
};
