import { ERROR_CODES, Problem, type ErrorCode } from '@webchat/contracts';
import type { RawResponse } from './client';

/** A stack frame or an exception name in a body means an internal message reached the client. */
const INTERNALS = /\bat [\w$.<>]+ \(|\bnode:internal|\b(TypeError|RangeError|SyntaxError|ReferenceError)\b|\/work\/|node_modules/;

/**
 * What every refusal must look like from outside, wherever it was decided (nginx or a service):
 * problem+json with the documented status for its code, the request id, exactly one ACAO, nosniff,
 * and nothing internal. Returns the problem.
 */
export function expectProblem(response: RawResponse, status: number, code: ErrorCode): Problem {
  expect({ status: response.status, text: response.text.slice(0, 400) }).toEqual({ status, text: expect.any(String) });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = Problem.parse(response.json());
  expect({ code: problem.code, status: problem.status }).toEqual({ code, status: ERROR_CODES[code].status });
  expect(problem.requestId).toBe(response.headers['x-request-id']);
  expect(response.all('access-control-allow-origin')).toHaveLength(1);
  expect(response.all('x-content-type-options')).toEqual(['nosniff']);
  expect(response.headers['set-cookie']).toBeUndefined();
  expect(response.text).not.toMatch(INTERNALS);
  return problem;
}

/** For answers under load: a documented problem whose status belongs to its code, nothing more. */
export function problemCode(response: RawResponse): ErrorCode | undefined {
  if (!/^application\/problem\+json/.test(String(response.headers['content-type']))) return undefined;
  const parsed = Problem.safeParse(safeJson(response.text));
  if (!parsed.success || ERROR_CODES[parsed.data.code].status !== response.status) return undefined;
  return parsed.data.code;
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
