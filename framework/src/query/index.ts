export type {
  Comparator,
  Condition,
  Expression,
  Group,
  ParsedQuery,
  QueryValue,
  Select,
  SelectField,
  SortKey,
} from './ast.js';
export { parseQuery } from './parse-query.js';
export type { QueryPlan, Source as QuerySource } from './plan.js';
export { rowFilter } from './row-filter.js';
export { runQuery, type QueryOutcome } from './run-query.js';
export { parseQueryObject, type QueryComparatorName, type QueryCondition, type QueryConditionGroup, type QueryObject, type QueryScalar, type QuerySelect, type QuerySelectField, type QuerySort } from './query-object.js';
