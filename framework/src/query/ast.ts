/** The parsed form of a REST query string; the executor resolves attributes and coerces untyped values by schema. */

export type Comparator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'ct' | 'sw' | 'ew';

export type QueryValue =
  | { type: 'untyped'; raw: string }
  | { type: 'null' }
  | { type: 'number'; value: number }
  | { type: 'boolean'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'date'; value: Date };

export interface Condition {
  kind: 'condition';
  /** The attribute path; more than one segment traverses relationships (`brand.name`). */
  attribute: string[];
  comparator: Comparator;
  value: QueryValue;
  /** True for `=`, `===`, `!==`: the value is decoded as the attribute's own type with no loose coercion. */
  strict: boolean;
  /** Index of the condition's first character in the raw query string, for error messages downstream. */
  position: number;
}

export interface Group {
  kind: 'and' | 'or';
  children: Expression[];
}

export type Expression = Condition | Group;

export interface SelectField {
  name: string;
  children?: SelectField[];
}

export type Select =
  | { kind: 'value'; field: SelectField }
  | { kind: 'object'; fields: SelectField[] }
  | { kind: 'array'; fields: SelectField[] };

export interface SortKey {
  attribute: string[];
  descending: boolean;
}

export interface ParsedQuery {
  where?: Expression;
  select?: Select;
  sort?: SortKey[];
  offset?: number;
  limit?: number;
  count: boolean;
  explain: boolean;
}
