import { LodeError } from '../errors/index.js';
import type { ReadableTable } from '../storage/index.js';
import type { Expression } from './ast.js';
import type { Row } from './order.js';
import { Planner } from './planner.js';
import { Relations } from './relationships.js';

function hasPath(expression: Expression): boolean {
  return expression.kind === 'condition' ? expression.attribute.length > 1 : expression.children.some(hasPath);
}

/**
 * The conditions of a query as a test of one record, for checking changes as they happen (live
 * subscriptions). Conditions through relationships are refused: a change to a related record
 * would change the answer without a change to this one.
 */
export function rowFilter(table: ReadableTable, where: Expression): (row: Row) => boolean {
  if (hasPath(where)) {
    throw new LodeError('BAD_REQUEST', 'Conditions through relationships cannot filter a subscription', {
      errors: [{ path: 'query', message: 'relationship paths are not supported in subscriptions' }],
    });
  }
  const relations = new Relations(table);
  return new Planner(table, relations, () => []).predicate(where);
}
