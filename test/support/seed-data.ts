import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSchema } from '../../framework/src/schema/index.js';
import { Storage } from '../../framework/src/storage/index.js';
import { silentLogger } from '../../framework/src/util/index.js';

/**
 * A new data directory holding `count` records of one table, written straight through storage (far
 * faster than HTTP), for a `lode run --data` server to start on. Records get ids 0 … count − 1.
 */
export async function seedDataDir(schema: string, table: string, count: number, record: (id: number) => Record<string, unknown>): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'lode-seeded-'));
  const storage = await Storage.open({ dataDir, logger: silentLogger });
  try {
    await storage.applySchema(compileSchema([{ file: 'schema.graphql', text: schema }]).tables);
    const stored = storage.table(table)!;
    for (let start = 0; start < count; start += 10_000) {
      await Promise.all(Array.from({ length: Math.min(10_000, count - start) }, (_, i) => stored.put(start + i, record(start + i))));
    }
  } finally {
    await storage.close();
  }
  return dataDir;
}
