import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bundled generations live in `.lode/build/<pid>-<app>/<generation>/`: two apps on the same
 * folder (a dev server and a test run) never touch each other's output.
 */
export function buildRoot(appDir: string, appKey: string): string {
  return join(appDir, '.lode', 'build', `${process.pid}-${appKey.slice(0, 8)}`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes build folders left by processes that are no longer running. */
export async function removeStaleBuilds(appDir: string): Promise<void> {
  const root = join(appDir, '.lode', 'build');
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    entries.map(async (entry) => {
      const pid = Number(entry.split('-')[0]);
      if (!Number.isInteger(pid) || !isRunning(pid)) await rm(join(root, entry), { recursive: true, force: true });
    }),
  );
}
