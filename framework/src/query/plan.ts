import type { IndexRange } from '../storage/index.js';
import type { Comparable } from './operands.js';

/** Where a query's candidate rows come from; every condition is still checked against each row. */
export type Source =
  | { kind: 'primaryKey'; key: Comparable }
  | { kind: 'index'; attribute: string; value: Comparable }
  | { kind: 'indexRange'; attribute: string; range: IndexRange; descending?: boolean }
  /** Every record in the order of an index (nulls first ascending, last descending). */
  | { kind: 'indexOrder'; attribute: string; descending: boolean }
  /** OR branches, each from its own source, without duplicates. */
  | { kind: 'union'; branches: Source[] }
  /** Records related to the rows a condition matched in another table (`brand.name=Acme`). */
  | { kind: 'join'; path: string; through: 'index' | 'primaryKey'; attribute: string; matches: number }
  | { kind: 'scan'; descending?: boolean };

/** How a query is answered; `explain()` returns it. */
export interface QueryPlan {
  source: Source;
  /** Estimated candidate rows of the source, when the planner had several to choose from. */
  estimate?: number;
  filter: boolean;
  /**
   * Other indexed conditions whose id sets are intersected with the source's ids before records
   * are read, once more than half of the rows read fail the filter.
   */
  intersect?: string[];
  /** `index` reads rows already in order; `top-k` keeps only offset + limit rows; `memory` sorts every match. */
  sort?: { attributes: string[]; method: 'index' | 'memory' | 'top-k' };
  /** `index` counts from index entries and never reads a record. */
  count?: 'index' | 'rows';
  offset?: number;
  limit?: number;
}
