import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { moduleLayers } from './architecture-rules.js';

const srcDir = fileURLToPath(new URL('../framework/src/', import.meta.url));
const layers: Record<string, string[]> = moduleLayers;

interface ImportEdge {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const importPattern = /^\s*(import|export)\s+(type\s+)?(?:[^'"]*?\s+from\s+)?['"](\.[^'"]+)['"]/gm;

function importsOf(file: string, text: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(importPattern)) {
    const target = resolve(dirname(file), match[3]!).replace(/\.js$/, '.ts');
    edges.push({ from: relative(srcDir, file), to: relative(srcDir, target), typeOnly: match[2] !== undefined });
  }
  return edges;
}

const moduleOf = (path: string): string => (path.includes('/') ? path.split('/')[0]! : '(root)');

/** Every rule violation in a set of edges: a forbidden module edge or a reach past a module's index.ts. */
export function violations(edges: ImportEdge[]): string[] {
  const found: string[] = [];
  for (const edge of edges) {
    const from = moduleOf(edge.from);
    const to = moduleOf(edge.to);
    if (from === to || from === '(root)') continue;
    if (!(layers[from] ?? []).includes(to)) found.push(`${edge.from} imports ${edge.to}: ${from} may not depend on ${to}`);
    else if (!edge.to.endsWith('/index.ts')) found.push(`${edge.from} imports ${edge.to}: go through ${to}/index.ts`);
  }
  return found;
}

/** Runtime import cycles between files (type-only imports vanish at run time and are ignored). */
export function cycles(edges: ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const edge of edges) if (!edge.typeOnly) graph.set(edge.from, [...(graph.get(edge.from) ?? []), edge.to]);
  const found: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): void => {
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'visiting') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return found;
}

describe('architecture', () => {
  const edges = sourceFiles(srcDir).flatMap((file) => importsOf(file, readFileSync(file, 'utf8')));

  test('finds the imports it checks', () => {
    assert.ok(edges.length > 40, `only ${edges.length} import edges found`);
    assert.ok(edges.some((edge) => edge.from.startsWith('transport/') && edge.to === 'resources/index.ts'));
  });

  test('modules depend only on lower layers, through their index.ts', () => {
    assert.deepEqual(violations(edges), []);
  });

  test('no runtime import cycles inside framework/src', () => {
    assert.deepEqual(cycles(edges).map((cycle) => cycle.join(' → ')), []);
  });

  test('the checks catch a forbidden edge, a bypassed index and a cycle', () => {
    assert.equal(violations([{ from: 'storage/table.ts', to: 'transport/index.ts', typeOnly: false }]).length, 1);
    assert.equal(violations([{ from: 'transport/rest.ts', to: 'resources/resource.ts', typeOnly: false }]).length, 1);
    assert.equal(
      cycles([
        { from: 'a/x.ts', to: 'a/y.ts', typeOnly: false },
        { from: 'a/y.ts', to: 'a/x.ts', typeOnly: false },
      ]).length,
      1,
    );
  });
});
