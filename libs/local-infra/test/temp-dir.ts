import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A folder under os.tmpdir() created before and removed after the calling describe block. */
export function makeTempDir(prefix: string): { path(): string } {
  let dir: string | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return {
    path: () => {
      if (!dir) throw new Error('temp dir is only available inside tests');
      return dir;
    },
  };
}
