import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
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

/** The server a test started, stopped after each test whatever happened (a test that stops it itself clears it). */
export function stopAfterEach<T extends { stop(): Promise<unknown> }>(): { running: T | undefined } {
  const holder: { running: T | undefined } = { running: undefined };
  afterEach(async () => {
    await holder.running?.stop();
    holder.running = undefined;
  });
  return holder;
}

/** Runs `use` with a port another listener holds, released afterwards. */
export async function withTakenPort(use: (port: number) => Promise<void>): Promise<void> {
  const blocker: Server = createServer();
  await new Promise<void>((listening) => blocker.listen(0, '127.0.0.1', listening));
  const address = blocker.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    await use(port);
  } finally {
    await new Promise((closed) => blocker.close(closed));
  }
}
