/**
 * Compose parsing for Corral: docker-compose.yml (v1, v2, v3, compose specification) plus
 * rancher-compose.yml into the normalized StackSpec, and back.
 */
import type { StackSpec } from "@corral/api";
import { exportStackImpl } from "./export.ts";
import { type ParseStackInput, type ParseStackResult, parseStackImpl } from "./parse-stack.ts";

export type { Issue } from "./issues.ts";
export type { ParseStackInput, ParseStackResult } from "./parse-stack.ts";

/**
 * Parses a docker-compose.yml and optional rancher-compose.yml into a validated StackSpec.
 * Throws AppError("InvalidFormat") whose message lists every problem as
 * `<file>:<line>:<column>: <path>: <reason>` and whose detail is the Issue[]; nothing partial is
 * ever returned. Warnings name what was ignored or substituted (unset variables, unsupported keys).
 */
export function parseStack(input: ParseStackInput): ParseStackResult {
  return parseStackImpl(input);
}

/**
 * Renders a StackSpec as a compose v2 docker-compose.yml plus rancher-compose.yml that
 * {@link parseStack} reads back to the same spec ("$" is escaped as "$$").
 */
export function exportStack(spec: StackSpec): { dockerCompose: string; rancherCompose: string } {
  return exportStackImpl(spec);
}
