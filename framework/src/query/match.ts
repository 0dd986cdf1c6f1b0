import type { Comparator } from './ast.js';
import { comparable, compareComparable, type Comparable } from './operands.js';

function matchesOne(value: Comparable, comparator: Comparator, operand: Comparable): boolean {
  switch (comparator) {
    case 'eq':
      return value === operand;
    case 'ne':
      return value !== operand;
    case 'sw':
      return typeof value === 'string' && value.startsWith(String(operand));
    case 'ew':
      return typeof value === 'string' && value.endsWith(String(operand));
    case 'ct':
      return typeof value === 'string' && value.includes(String(operand));
    default: {
      // A comparison never matches a missing value, nor one of another type.
      if (value === null || operand === null || typeof value !== typeof operand) return false;
      const order = compareComparable(value, operand);
      return comparator === 'lt' ? order < 0 : comparator === 'le' ? order <= 0 : comparator === 'gt' ? order > 0 : order >= 0;
    }
  }
}

/**
 * Whether a stored attribute value satisfies a condition. Arrays match when any element does
 * (as their index holds each element); `ne` is the negation of `eq`, so it matches missing values.
 */
export function matches(stored: unknown, comparator: Comparator, operand: Comparable): boolean {
  if (comparator === 'ne') return !matches(stored, 'eq', operand);
  if (Array.isArray(stored)) {
    if (comparator === 'ct' && stored.some((element) => comparable(element) === operand)) return true;
    return stored.some((element) => {
      const value = comparable(element);
      return value !== undefined && matchesOne(value, comparator, operand);
    });
  }
  const value = comparable(stored);
  return value !== undefined && matchesOne(value, comparator, operand);
}
