import { expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { type Issue, parseStack } from "../src/compose/index.ts";

/** Parses and returns the issues (the calling test fails when parsing succeeds). */
export function issuesOf(
  dockerCompose: string | undefined,
  rancherCompose?: string,
  environment?: Record<string, string>,
): Issue[] {
  try {
    parseStack({ dockerCompose, rancherCompose, environment });
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    const err = e as AppError;
    expect(err.code).toBe("InvalidFormat");
    return err.detail as Issue[];
  }
  throw new Error("expected parseStack to fail");
}

/** A one-service compose file with `body` appended to the service `web`. */
export const svc = (body: string): string => `services:\n  web:\n    image: nginx\n${body}`;

/** One bad-file case: where the first issue must be and what it must say. */
export interface Case {
  name: string;
  docker?: string;
  rancher?: string;
  env?: Record<string, string>;
  /** `file:line:column` of the (first) issue. */
  at: string;
  reason: string;
}

/** File names used in expectations. */
export const R = "rancher-compose.yml";
/** File names used in expectations. */
export const D = "docker-compose.yml";

/** Registers one test per case, asserting the exact position and a reason substring. */
export function runCases(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const issues = issuesOf(c.docker, c.rancher, c.env);
      const first = issues[0] as Issue;
      expect(`${first.file}:${first.line}:${first.column}`).toBe(c.at);
      expect(first.message).toContain(c.reason);
    });
  }
}
