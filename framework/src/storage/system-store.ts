import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';

export type SystemKey = [string, string];

/**
 * The data directory's own records (users, signing keys): a small LMDB file beside the app's
 * databases (`system.mdb`), so no schema can declare or export them and they never mix with app data.
 */
export class SystemStore {
  readonly #root: RootDatabase;
  readonly #records: Database<unknown, SystemKey>;

  constructor(dataDir: string) {
    this.#root = open({ path: join(dataDir, 'system.mdb') });
    this.#records = this.#root.openDB<unknown, SystemKey>('records', {});
  }

  get<T>(kind: string, name: string): T | undefined {
    return this.#records.get([kind, name]) as T | undefined;
  }

  async put(kind: string, name: string, value: unknown): Promise<void> {
    await this.#records.put([kind, name], value);
  }

  /** False when there was nothing to remove (lmdb-js's own answer does not say). */
  async remove(kind: string, name: string): Promise<boolean> {
    if (!this.#records.doesExist([kind, name])) return false;
    await this.#records.remove([kind, name]);
    return true;
  }

  /** Every record of one kind, by name. */
  list<T>(kind: string): Array<{ name: string; value: T }> {
    return [...this.#records.getRange({ start: [kind], end: [kind, '\uffff'] })].map(({ key, value }) => ({ name: key[1], value: value as T }));
  }

  close(): Promise<void> {
    return this.#root.close();
  }
}
