/**
 * How hard the suite pushes. CI runs the short mode (the default); `pnpm hardening` sets
 * HARDENING_MODE=full for the long load and soak figures recorded in RESULTS.md.
 */
export type HardeningMode = 'short' | 'full';

export const MODE: HardeningMode = process.env.HARDENING_MODE === 'full' ? 'full' : 'short';

interface Settings {
  /** Light load kept on the system while a fault is injected and removed. */
  faultLoad: { workers: number; durationMs: number };
  /** Requests per kind of dead deployment key when comparing answer times. */
  enumerationRounds: number;
  soak: {
    /** Connections autocannon keeps open while measuring the maximum throughput (the soak may use 4x, open loop). */
    connections: number;
    /** Unmeasured load first: fresh processes are still compiling their hot paths. */
    primeMs: number;
    measureMs: number;
    warmUpMs: number;
    soakMs: number;
    /** Idle time before and after the soak: pooled sockets idle out (<= 10 s), then a full collection. */
    restMs: number;
    sampleEveryMs: number;
    /** Share of the measured maximum the soak runs at. */
    loadFactor: number;
  };
}

const SETTINGS: Record<HardeningMode, Settings> = {
  short: {
    faultLoad: { workers: 4, durationMs: 2000 },
    enumerationRounds: 30,
    // CI runs other test files beside this one: half the measured maximum leaves room for their load.
    soak: { connections: 8, primeMs: 2000, measureMs: 3000, warmUpMs: 5000, soakMs: 15_000, restMs: 12_000, sampleEveryMs: 500, loadFactor: 0.5 },
  },
  full: {
    faultLoad: { workers: 8, durationMs: 10_000 },
    enumerationRounds: 200,
    soak: { connections: 16, primeMs: 10_000, measureMs: 15_000, warmUpMs: 30_000, soakMs: 300_000, restMs: 14_000, sampleEveryMs: 1000, loadFactor: 0.7 },
  },
};

const soakSeconds = Number(process.env.HARDENING_SOAK_SECONDS);

/** HARDENING_SOAK_SECONDS overrides the soak's length (e.g. to watch memory over a longer run). */
export const settings: Settings = Number.isFinite(soakSeconds) && soakSeconds > 0
  ? { ...SETTINGS[MODE], soak: { ...SETTINGS[MODE].soak, soakMs: soakSeconds * 1000 } }
  : SETTINGS[MODE];

/**
 * The longest a request may take before it counts as hung: the orchestrator's slowest downstream
 * timeout is 3 s (federated-auth in production, 2 s in the test system), the store's 2 s; nginx gives
 * up at 10 s. Generous, because a 2-core CI machine is busy with the other test files.
 */
export const ANSWER_DEADLINE_MS = 8000;
