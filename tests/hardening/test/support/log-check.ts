import { describeLeak, type LogLine, type SecretWatch } from '@webchat/test-harness';

/** Fails listing every leak (source, kind, the line) so a report names what to fix. */
export function expectNoLeaksIn(watch: SecretWatch, lines: LogLine[]): void {
  expect(lines.length).toBeGreaterThan(0);
  expect(watch.size).toBeGreaterThan(0);
  expect(watch.scan(lines).map(describeLeak)).toEqual([]);
}

/** Every line of every service of the stack and of nginx (access and error log). */
export function expectNoLeaks(stack: { watch: SecretWatch; logLines(): LogLine[] }): void {
  expectNoLeaksIn(stack.watch, stack.logLines());
}
