import assert from 'node:assert/strict';

/**
 * Asserts that `actual` contains `expected`: objects may have more keys, arrays must have the same
 * length with each element containing the expected one, other values must be equal.
 */
export function assertSubset(actual: unknown, expected: unknown, label: string, path = '$'): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${label}: ${path} should be an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${label}: ${path} length`);
    expected.forEach((item, index) => assertSubset(actual[index], item, label, `${path}[${index}]`));
  } else if (typeof expected === 'object' && expected !== null) {
    assert.ok(typeof actual === 'object' && actual !== null, `${label}: ${path} should be an object, got ${JSON.stringify(actual)}`);
    for (const [key, value] of Object.entries(expected)) assertSubset((actual as Record<string, unknown>)[key], value, label, `${path}.${key}`);
  } else {
    assert.deepEqual(actual, expected, `${label}: ${path}`);
  }
}
