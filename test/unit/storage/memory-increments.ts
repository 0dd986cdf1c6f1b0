import { isAfter, type Increment, type IncrementLog, type Stamp } from '../../../framework/src/storage/version-state.js';

/** An `IncrementLog` in a map, for merging without storage. */
export class MemoryIncrements implements IncrementLog {
  readonly byAttribute = new Map<string, Increment[]>();

  since(attribute: string, stamp: Stamp): Increment[] {
    return (this.byAttribute.get(attribute) ?? []).filter((increment) => !isAfter(stamp, increment.stamp));
  }

  has(attribute: string, stamp: Stamp): boolean {
    return (this.byAttribute.get(attribute) ?? []).some((increment) => increment.stamp[0] === stamp[0] && increment.stamp[1] === stamp[1]);
  }

  add(attribute: string, increment: Increment): void {
    const list = [...(this.byAttribute.get(attribute) ?? []), increment].sort((a, b) => (isAfter(a.stamp, b.stamp) ? 1 : -1));
    this.byAttribute.set(attribute, list);
  }

  dropBefore(attribute: string, stamp: Stamp): void {
    const kept = this.since(attribute, stamp);
    if (kept.length > 0) this.byAttribute.set(attribute, kept);
    else this.byAttribute.delete(attribute);
  }

  /** Everything held, in a stable order, to compare two nodes. */
  snapshot(): unknown {
    return [...this.byAttribute].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, list]) => [name, list.map(({ stamp, delta }) => [...stamp, delta])]);
  }
}
