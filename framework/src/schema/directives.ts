import { Kind, type ArgumentNode, type DirectiveNode } from 'graphql';
import type { DiagnosticSink } from './diagnostics.js';
import { didYouMean } from './suggest.js';

/** Where a directive appears: on a type or field of a `@table` type, of a nested type, or on an enum. */
export type DirectiveSite = 'table' | 'tableField' | 'nested' | 'nestedField' | 'enum' | 'enumValue';

type ArgumentKind = 'String' | 'Int' | 'Boolean';

interface DirectiveSpec {
  sites: DirectiveSite[];
  /** Completes "it belongs on …" when the directive is used elsewhere. */
  belongs: string;
  args: Record<string, ArgumentKind>;
}

const onTableField: Pick<DirectiveSpec, 'sites' | 'belongs'> = { sites: ['tableField'], belongs: 'a field of a @table type' };

export const directiveSpecs: Record<string, DirectiveSpec> = {
  table: {
    sites: ['table'],
    belongs: 'an object type',
    args: {
      table: 'String',
      database: 'String',
      schema: 'String',
      expiration: 'Int',
      replicate: 'Boolean',
      audit: 'Boolean',
      sealed: 'Boolean',
    },
  },
  export: { sites: ['table'], belongs: 'a @table type', args: { name: 'String' } },
  sealed: { sites: ['table', 'nested'], belongs: 'an object type', args: {} },
  primaryKey: { ...onTableField, args: {} },
  indexed: { ...onTableField, args: {} },
  createdTime: { ...onTableField, args: {} },
  updatedTime: { ...onTableField, args: {} },
  relationship: { ...onTableField, args: { from: 'String', to: 'String' } },
};

/**
 * Harper directives and arguments Lode does not implement yet. A Harper schema should still load,
 * so these are warnings that say what is ignored, never errors and never silent.
 */
const harperOnlyDirectives = new Set(['computed', 'expiresAt', 'hidden', 'enumerable', 'allow', 'embed', 'replicate', 'splitSegments']);
const harperOnlyArguments: Record<string, Set<string>> = {
  table: new Set(['eviction', 'scanInterval']),
  export: new Set(['rest', 'mqtt', 'ws', 'sse', 'graphql']),
  indexed: new Set(['type', 'distance', 'M', 'efConstruction', 'efConstructionSearch', 'optimizeRouting', 'mL', 'quantization', 'filterExpansion']),
};

const siteNames: Record<DirectiveSite, string> = {
  table: 'a @table type',
  tableField: 'a field of a @table type',
  nested: 'a type without @table (a nested type)',
  nestedField: 'a field of a nested type',
  enum: 'an enum',
  enumValue: 'an enum value',
};

export interface ParsedArgument {
  value: string | number | boolean;
  node: ArgumentNode;
}

export interface ParsedDirective {
  name: string;
  node: DirectiveNode;
  args: Map<string, ParsedArgument>;
}

export type DirectiveSet = Map<string, ParsedDirective>;

const article = (kind: ArgumentKind): string => (kind === 'Int' ? 'an Int' : `a ${kind}`);

function readArgument(node: ArgumentNode, kind: ArgumentKind): string | number | boolean | undefined {
  const value = node.value;
  if (kind === 'String' && value.kind === Kind.STRING) return value.value;
  if (kind === 'Boolean' && value.kind === Kind.BOOLEAN) return value.value;
  if (kind === 'Int' && value.kind === Kind.INT) {
    const number = Number(value.value);
    return Number.isSafeInteger(number) ? number : undefined;
  }
  return undefined;
}

/**
 * Checks the directives of one node against the known ones and where they may appear.
 * Unknown, misplaced and repeated directives are reported and left out of the result.
 */
export function readDirectives(
  nodes: readonly DirectiveNode[] | undefined,
  site: DirectiveSite,
  file: string,
  sink: DiagnosticSink,
): DirectiveSet {
  const result: DirectiveSet = new Map();
  for (const node of nodes ?? []) {
    const name = node.name.value;
    const spec = directiveSpecs[name];
    if (!spec && harperOnlyDirectives.has(name)) {
      sink.warning(file, node, 'UNSUPPORTED_DIRECTIVE', `Harper's "@${name}" is not supported by Lode yet; it is ignored.`);
      continue;
    }
    if (!spec) {
      sink.error(file, node, 'UNKNOWN_DIRECTIVE', `Unknown directive "@${name}".${didYouMean(name, Object.keys(directiveSpecs), '@')}`);
      continue;
    }
    if (!spec.sites.includes(site)) {
      sink.error(
        file,
        node,
        'DIRECTIVE_ON_WRONG_LOCATION',
        `Directive "@${name}" cannot be used on ${siteNames[site]}; it belongs on ${spec.belongs}.`,
      );
      continue;
    }
    if (result.has(name)) {
      sink.error(file, node, 'DUPLICATE_DIRECTIVE', `Directive "@${name}" is given more than once here.`);
      continue;
    }
    result.set(name, { name, node, args: readArguments(node, name, spec, file, sink) });
  }
  return result;
}

function readArguments(node: DirectiveNode, directive: string, spec: DirectiveSpec, file: string, sink: DiagnosticSink) {
  const args = new Map<string, ParsedArgument>();
  for (const argument of node.arguments ?? []) {
    const name = argument.name.value;
    const kind = spec.args[name];
    if (!kind && harperOnlyArguments[directive]?.has(name)) {
      sink.warning(file, argument, 'UNSUPPORTED_ARGUMENT', `Harper's "${name}" argument of @${directive} is not supported by Lode yet; it is ignored.`);
      continue;
    }
    if (!kind) {
      const known = Object.keys(spec.args);
      const hint = known.length === 0 ? ` @${directive} takes no arguments.` : didYouMean(name, known);
      sink.error(file, argument, 'UNKNOWN_ARGUMENT', `Unknown argument "${name}" on @${directive}.${hint}`);
      continue;
    }
    if (args.has(name)) {
      sink.error(file, argument, 'INVALID_ARGUMENT', `Argument "${name}" of @${directive} is given more than once.`);
      continue;
    }
    const value = readArgument(argument, kind);
    if (value === undefined) {
      sink.error(file, argument, 'INVALID_ARGUMENT', `${name} must be ${article(kind)}.`);
      continue;
    }
    args.set(name, { value, node: argument });
  }
  return args;
}

export function stringArgument(directive: ParsedDirective | undefined, name: string): ParsedArgument & { value: string } | undefined {
  const argument = directive?.args.get(name);
  return typeof argument?.value === 'string' ? { value: argument.value, node: argument.node } : undefined;
}

export function numberArgument(directive: ParsedDirective | undefined, name: string): ParsedArgument & { value: number } | undefined {
  const argument = directive?.args.get(name);
  return typeof argument?.value === 'number' ? { value: argument.value, node: argument.node } : undefined;
}

export function booleanArgument(directive: ParsedDirective | undefined, name: string): boolean | undefined {
  const value = directive?.args.get(name)?.value;
  return typeof value === 'boolean' ? value : undefined;
}
