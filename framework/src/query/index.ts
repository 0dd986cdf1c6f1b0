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
export { runQuery, type QueryOutcome, type QueryPlan } from './run-query.js';
