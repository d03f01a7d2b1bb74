import { z } from 'zod';

export const Health = z.strictObject({ status: z.literal('ok'), service: z.string() });
export const Readiness = z.strictObject({
  status: z.enum(['ready', 'not_ready']),
  service: z.string(),
  checks: z.record(z.string(), z.enum(['ok', 'failing'])),
});
export type Readiness = z.infer<typeof Readiness>;
