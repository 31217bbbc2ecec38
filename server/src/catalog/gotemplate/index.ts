import { Source, TemplateError } from "./errors.ts";
import { defaultLimits, execute } from "./exec.ts";
import { templateFuncs } from "./funcs.ts";
import { parse } from "./parser.ts";

export { TemplateError };

const funcNames: ReadonlySet<string> = new Set(templateFuncs.keys());

/**
 * Renders a Go text/template (the subset Rancher 1.6 catalog `.tpl` files use, with the Sprig
 * functions its catalog had) over `data`. Parse and execution errors throw a {@link TemplateError}
 * naming the template, line and column. Output and work are bounded (1 MiB, a million steps).
 */
export function renderTemplate(templateName: string, source: string, data: unknown): string {
  const src = new Source(templateName, source);
  const tree = parse(src, funcNames);
  return execute(src, tree, new Map(templateFuncs), data, defaultLimits);
}
