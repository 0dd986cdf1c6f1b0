import { LodeError } from '../errors/index.js';
import type { AttributeDef, RelationshipDef } from '../schema/index.js';
import type { Key, ReadableTable, TableIndex } from '../storage/index.js';
import type { Condition, Expression } from './ast.js';
import { own, type Row } from './order.js';
import { isKey } from './sources.js';

/** A relationship attribute resolved against the live tables. */
export interface Relationship {
  name: string;
  definition: RelationshipDef;
  target: ReadableTable;
  /** Many related records (an array foreign key, or `to:` one-to-many) rather than at most one. */
  many: boolean;
}

/** Runs a condition against another table and returns the rows it matches (the inner side of a join). */
export type SubQuery = (table: ReadableTable, where: Expression) => Iterable<Row>;

/** The rows on the other side of a join condition, as keys of this table's foreign key or primary key. */
export interface JoinMatch {
  /** `index`: `keys` are values of this table's foreign key; `primaryKey`: keys of this table. */
  through: 'index' | 'primaryKey';
  attribute: string;
  keys: Set<Key>;
}

/** Many-to-one lookups repeat (many products, few brands); this many are cached per query. */
const CACHED_RECORDS = 1024;

function badPath(condition: { attribute: string[]; position?: number }, message: string): LodeError {
  const path = condition.attribute.join('.');
  const where = condition.position === undefined ? '' : ` at position ${condition.position}`;
  return new LodeError('BAD_REQUEST', `Unable to query ${path}${where}: ${message}`, { errors: [{ path: `query.${path}`, message }] });
}

/** Follows `@relationship` attributes of one table for conditions, nested selects and sorts. */
export class Relations {
  readonly #table: ReadableTable;
  readonly #records: Map<ReadableTable, Map<Key, Row | undefined>>;
  readonly #others: Map<ReadableTable, Relations>;

  constructor(table: ReadableTable, shared?: Relations) {
    this.#table = table;
    this.#records = shared ? shared.#records : new Map();
    this.#others = shared ? shared.#others : new Map();
  }

  /** The relations of a related table, sharing this query's record cache. */
  of(table: ReadableTable): Relations {
    if (table === this.#table) return this;
    let relations = this.#others.get(table);
    if (!relations) this.#others.set(table, (relations = new Relations(table, this)));
    return relations;
  }

  get(name: string): Relationship | undefined {
    const attribute: AttributeDef | undefined = this.#table.def.attributes.find((candidate) => candidate.name === name);
    const definition = attribute?.relationship;
    if (!attribute || !definition) return undefined;
    const target = this.#table.relatedTable(definition.target);
    if (!target) throw new LodeError('BAD_REQUEST', `The relationship ${this.#table.name}.${name} points to ${definition.target}, which is not a table`);
    return { name, definition, target, many: attribute.type.kind === 'list' };
  }

  /** The record(s) a relationship attribute of `row` points to: an object or null, or an array. */
  resolve(row: Row, relationship: Relationship): unknown {
    const { definition, target } = relationship;
    if (definition.from !== undefined) {
      const foreign = own(row, definition.from);
      if (!Array.isArray(foreign)) return isKey(foreign) ? (this.#record(target, foreign) ?? null) : null;
      const related: Row[] = [];
      for (const key of foreign) {
        const record = isKey(key) ? this.#record(target, key) : undefined;
        if (record) related.push(record);
      }
      return related;
    }
    const key = own(row, this.#table.def.primaryKey);
    if (!isKey(key) || definition.to === undefined) return [];
    const related: Row[] = [];
    for (const id of this.#targetIndex(relationship, definition.to).ids(key)) {
      const record = this.#record(target, id);
      if (record) related.push(record);
    }
    return related;
  }

  /** A value along a path through relationships (the first of many related records) or nested objects. */
  valueAt(row: Row, path: string[]): unknown {
    const [name, ...rest] = path;
    const relationship = rest.length > 0 || !Object.hasOwn(row, name!) ? this.get(name!) : undefined;
    const value = relationship ? this.resolve(row, relationship) : own(row, name!);
    if (rest.length === 0) return value;
    const next: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof next !== 'object' || next === null) return undefined;
    if (relationship) return this.of(relationship.target).valueAt(next as Row, rest);
    return rest.reduce<unknown>((current, key) => (typeof current === 'object' && current !== null ? own(current as Row, key) : undefined), next);
  }

  /**
   * Inner-join semantics for `brand.name=Acme` (conditions on one relationship, AND-ed): the related
   * rows matching the rest of their paths, turned into keys this table can be read or filtered by.
   */
  join(conditions: Condition[], run: SubQuery): JoinMatch {
    const [first] = conditions;
    const name = first!.attribute[0]!;
    const relationship = this.get(name);
    if (!relationship) throw badPath(first!, `${this.#table.name}.${name} is not a relationship`);
    const { definition, target } = relationship;
    const stripped = conditions.map((condition): Condition => ({ ...condition, attribute: condition.attribute.slice(1) }));
    const inner: Expression = stripped.length === 1 ? stripped[0]! : { kind: 'and', children: stripped };
    const keys = new Set<Key>();
    if (definition.from !== undefined) {
      const targetKey = target.def.primaryKey;
      for (const related of run(target, inner)) {
        const key = own(related, targetKey);
        if (isKey(key)) keys.add(key);
      }
      return { through: 'index', attribute: definition.from, keys };
    }
    for (const related of run(target, inner)) {
      const owner = own(related, definition.to!);
      for (const key of Array.isArray(owner) ? owner : [owner]) if (isKey(key)) keys.add(key);
    }
    return { through: 'primaryKey', attribute: this.#table.def.primaryKey, keys };
  }

  #targetIndex(relationship: Relationship, attribute: string): TableIndex {
    if (relationship.target.indexStatus(attribute) === 'absent') {
      throw new LodeError('BAD_REQUEST', `Reading ${this.#table.name}.${relationship.name} needs an index on ${relationship.target.name}.${attribute} (add @indexed in the schema)`);
    }
    return relationship.target.index(attribute);
  }

  #record(target: ReadableTable, key: Key): Row | undefined {
    let cache = this.#records.get(target);
    if (!cache) this.#records.set(target, (cache = new Map()));
    if (cache.has(key)) return cache.get(key);
    const record = target.get(key)?.value;
    if (cache.size >= CACHED_RECORDS) cache.clear();
    cache.set(key, record);
    return record;
  }
}
