/** The replication benchmark's record: eight attributes, about 400 bytes of JSON with an id. */
export function benchRecord(i: number): Record<string, unknown> {
  return {
    name: `Record ${i} of the replication benchmark`,
    category: `category-${i % 50}`,
    price: Math.round(i * 7.31) / 100,
    quantity: i % 1000,
    active: i % 2 === 0,
    tags: ['bench', `t${i % 7}`, `group-${i % 13}`],
    description: `A replicated benchmark record with a description long enough to make the whole record about four hundred bytes of JSON once it has an id: record ${i}.`,
    updatedAt: '2026-11-23T12:00:00.000Z',
  };
}
