import { LodeError } from '../errors/index.js';
import type { AttributeDef } from '../schema/index.js';
import type { IndexRange, Key, ReadableTable } from '../storage/index.js';
import type { Condition, Expression, ParsedQuery } from './ast.js';
import { matches } from './match.js';
import { operandOf } from './operands.js';
import { own, type Row } from './order.js';
import type { QueryPlan, Source } from './plan.js';
import type { JoinMatch, Relations, SubQuery } from './relationships.js';
import type { JoinKeys } from './sources.js';

export type Predicate = (row: Row) => boolean;

/** A way to read the candidates of part of a query; `exact` when they are exactly its matches. */
export interface Access {
  source: Source;
  exact: boolean;
}

/** A join source reads through this many foreign-key lookups at most; past it, the join only filters. */
const MAX_JOIN_KEYS = 1000;
/** Equality counts are exact but cost a cursor each: only this many are summed for a join estimate. */
const SAMPLED_JOIN_KEYS = 16;

const anyKeyIn = (value: unknown, keys: Set<Key>): boolean =>
  Array.isArray(value) ? value.some((element) => keys.has(element as Key)) : keys.has(value as Key);

/** Tightens a range with one bound: the larger lower bound and the smaller upper bound win. */
function narrow(range: IndexRange, comparator: string, value: number): IndexRange {
  const next = { ...range };
  if (comparator === 'gt' || comparator === 'ge') {
    const exclusive = comparator === 'gt';
    if (next.lower === undefined || value > next.lower || (value === next.lower && exclusive)) Object.assign(next, { lower: value, exclusiveLower: exclusive });
  } else {
    const inclusive = comparator === 'le';
    if (next.upper === undefined || value < next.upper || (value === next.upper && !inclusive)) Object.assign(next, { upper: value, inclusiveUpper: inclusive });
  }
  return next;
}

/** Chooses sources for a query over one table from its indexes, and builds its row filter. */
export class Planner {
  readonly table: ReadableTable;
  readonly relations: Relations;
  readonly joins: JoinKeys = new WeakMap();
  readonly #run: SubQuery;
  readonly #joinMatches = new Map<Condition, JoinMatch>();
  /** Join conditions AND-ed on one relationship run as one inner query; the others of a group are absorbed. */
  readonly #joinGroups = new Map<Condition, Condition[]>();
  readonly #estimates = new Map<Source, number>();

  constructor(table: ReadableTable, relations: Relations, run: SubQuery) {
    this.table = table;
    this.relations = relations;
    this.#run = run;
  }

  attribute(name: string): AttributeDef | undefined {
    return this.table.def.attributes.find((attribute) => attribute.name === name);
  }

  /** The primary key or a ready index; an index still being built is a 503, not a silent scan. */
  usable(name: string): boolean {
    if (name === this.table.def.primaryKey) return true;
    const status = this.table.indexStatus(name);
    if (status === 'building') {
      throw new LodeError('INDEX_BUILDING', `The index on ${this.table.name}.${name} is still being built`, { headers: { 'Retry-After': '1' } });
    }
    return status === 'ready';
  }

  #secondary(name: string): boolean {
    return name !== this.table.def.primaryKey && this.usable(name);
  }

  /**
   * Groups the join conditions AND-ed on the same relationship (`brand.name=Acme&brand.country=NL`),
   * so one related record must satisfy all of them, and a condition the related table can read
   * from an index anchors the others.
   */
  groupJoins(expression: Expression): void {
    if (expression.kind === 'condition') return;
    if (expression.kind === 'and') {
      const groups = new Map<string, Condition[]>();
      for (const child of expression.children) {
        if (child.kind !== 'condition' || child.attribute.length < 2) continue;
        const group = groups.get(child.attribute[0]!);
        if (group) {
          group.push(child);
          this.#joinGroups.set(child, []);
        } else {
          const started = [child];
          groups.set(child.attribute[0]!, started);
          this.#joinGroups.set(child, started);
        }
      }
    }
    for (const child of expression.children) this.groupJoins(child);
  }

  #absorbed(condition: Condition): boolean {
    return this.#joinGroups.get(condition)?.length === 0;
  }

  /** Harper's rule: a query must be anchored on an index (every OR branch too), or it would scan the table. */
  anchored(expression: Expression): boolean {
    if (expression.kind === 'condition') {
      if (expression.attribute.length === 1) return this.usable(expression.attribute[0]!);
      return !this.#absorbed(expression) && this.access(expression) !== undefined;
    }
    if (expression.kind === 'and') return expression.children.some((child) => this.anchored(child));
    return expression.children.every((child) => this.anchored(child));
  }

  predicate(expression: Expression): Predicate {
    if (expression.kind === 'condition') {
      if (expression.attribute.length > 1) {
        if (this.#absorbed(expression)) return () => true;
        const { keys, attribute } = this.#join(expression);
        return (row) => anyKeyIn(own(row, attribute), keys);
      }
      const name = expression.attribute[0]!;
      const operand = operandOf(expression, this.attribute(name));
      return (row) => matches(own(row, name), expression.comparator, operand);
    }
    const children = expression.children.map((child) => this.predicate(child));
    if (children.length === 1) return children[0]!;
    return expression.kind === 'and' ? (row) => children.every((test) => test(row)) : (row) => children.some((test) => test(row));
  }

  #join(condition: Condition): JoinMatch {
    let match = this.#joinMatches.get(condition);
    if (!match) this.#joinMatches.set(condition, (match = this.relations.join(this.#joinGroups.get(condition) ?? [condition], this.#run)));
    return match;
  }

  /** How to read the candidates of an expression from an index, if it can be. */
  access(expression: Expression): Access | undefined {
    if (expression.kind !== 'condition') {
      if (expression.kind === 'and') return this.best(this.accesses(expression.children));
      const branches = expression.children.map((child) => this.access(child));
      if (!branches.every((branch) => branch !== undefined)) return undefined;
      return { source: { kind: 'union', branches: branches.map((branch) => branch.source) }, exact: branches.every((branch) => branch.exact) };
    }
    return expression.attribute.length > 1 ? this.#joinAccess(expression) : this.#conditionAccess(expression);
  }

  #conditionAccess(condition: Condition): Access | undefined {
    const name = condition.attribute[0]!;
    const value = operandOf(condition, this.attribute(name));
    if (condition.comparator === 'eq') {
      if (name === this.table.def.primaryKey) return { source: { kind: 'primaryKey', key: value }, exact: true };
      if (typeof value === 'bigint' || !this.#secondary(name)) return undefined;
      return { source: { kind: 'index', attribute: name, value }, exact: this.table.index(name).exact(value) };
    }
    if (typeof value !== 'number' || !['lt', 'le', 'gt', 'ge'].includes(condition.comparator) || !this.#secondary(name)) return undefined;
    if (!this.table.index(name).rangeable) return undefined;
    return { source: { kind: 'indexRange', attribute: name, range: narrow({}, condition.comparator, value) }, exact: true };
  }

  #joinAccess(condition: Condition): Access | undefined {
    if (this.#absorbed(condition)) return undefined;
    const match = this.#join(condition);
    if (match.through === 'index' && (match.keys.size > MAX_JOIN_KEYS || !this.#secondary(match.attribute))) return undefined;
    const path = (this.#joinGroups.get(condition) ?? [condition]).map((member) => member.attribute.join('.')).join('&');
    const source: Source = { kind: 'join', path, through: match.through, attribute: match.attribute, matches: match.keys.size };
    this.joins.set(source, match.keys);
    return { source, exact: match.through === 'primaryKey' };
  }

  /** The accesses of AND-ed expressions, with bounds on one numeric attribute merged into one range. */
  accesses(children: Expression[]): Access[] {
    const found: Access[] = [];
    const ranges = new Map<string, Access>();
    for (const child of children) {
      const access = this.access(child);
      if (!access) continue;
      const source = access.source;
      if (source.kind !== 'indexRange' || child.kind !== 'condition') {
        found.push(access);
        continue;
      }
      const merged = ranges.get(source.attribute);
      if (!merged) {
        ranges.set(source.attribute, access);
        found.push(access);
      } else if (merged.source.kind === 'indexRange') {
        merged.source.range = narrow(merged.source.range, child.comparator, operandOf(child, this.attribute(source.attribute)) as number);
      }
    }
    return found;
  }

  /** The access with the fewest estimated candidates; a primary-key lookup wins outright. */
  best(accesses: Access[]): Access | undefined {
    if (accesses.length <= 1) return accesses[0];
    const byKey = accesses.find((access) => access.source.kind === 'primaryKey');
    if (byKey) return byKey;
    let best = accesses[0]!;
    for (const access of accesses.slice(1)) if (this.estimate(access.source) < this.estimate(best.source)) best = access;
    return best;
  }

  /** Candidate rows a source yields: exact for equalities, interpolated for ranges. */
  estimate(source: Source): number {
    let estimate = this.#estimates.get(source);
    if (estimate !== undefined) return estimate;
    switch (source.kind) {
      case 'primaryKey':
        estimate = 1;
        break;
      case 'index':
        estimate = this.table.index(source.attribute).count(source.value);
        break;
      case 'indexRange':
        estimate = this.table.index(source.attribute).estimateRange(source.range);
        break;
      case 'union':
        estimate = source.branches.reduce((sum, branch) => sum + this.estimate(branch), 0);
        break;
      case 'join':
        estimate = this.#joinEstimate(source);
        break;
      default:
        estimate = this.table.count();
    }
    this.#estimates.set(source, estimate);
    return estimate;
  }

  #joinEstimate(source: Extract<Source, { kind: 'join' }>): number {
    const keys = [...(this.joins.get(source) ?? [])];
    if (source.through === 'primaryKey' || keys.length === 0) return keys.length;
    const index = this.table.index(source.attribute);
    const sampled = keys.slice(0, SAMPLED_JOIN_KEYS);
    const counted = sampled.reduce<number>((sum, key) => sum + index.count(key), 0);
    return Math.ceil((counted * keys.length) / sampled.length);
  }

  /** Harper's rule for `sort` without conditions: the first sort attribute must be indexed (here: or the primary key). */
  checkSortable(query: ParsedQuery): void {
    const first = query.sort?.[0];
    if (!first || query.where) return;
    const name = first.attribute[0]!;
    if (first.attribute.length === 1 && this.usable(name)) return;
    throw new LodeError('BAD_REQUEST', `sort(${first.attribute.join('.')}) on ${this.table.name} needs @indexed on ${first.attribute.join('.')} or a condition on an indexed attribute`, {
      errors: [{ path: `query.sort.${first.attribute.join('.')}`, message: 'not indexed and not combined with a condition' }],
    });
  }
}

export type { QueryPlan };
