import { Source, TemplateError } from "./errors.ts";
import { defaultLimits, execute } from "./exec.ts";
import { templateFuncs } from "./funcs.ts";
import { parse } from "./parser.ts";

export { TemplateError };

/** Largest template source accepted (a catalog file is far smaller). */
const maxSourceLength = 1 << 20;

const funcNames: ReadonlySet<string> = new Set(templateFuncs.keys());

/**
 * Renders a Go text/template (the subset Rancher 1.6 catalog `.tpl` files use, with the Sprig
 * functions its catalog had) over `data`. Parse and execution errors throw a {@link TemplateError}
 * naming the template, line and column. Source, output and work are bounded (1 MiB, 1 MiB, a million steps).
 */
export function renderTemplate(templateName: string, source: string, data: unknown): string {
  if (source.length > maxSourceLength)
    throw new TemplateError(templateName, 1, 1, `template larger than ${maxSourceLength} characters`);
  const src = new Source(templateName, source);
  try {
    const tree = parse(src, funcNames);
    return execute(src, tree, new Map(templateFuncs), data, defaultLimits);
  } catch (e) {
    // Nesting is bounded, but templates calling templates multiply it: never let a stack overflow out.
    if (e instanceof RangeError) throw new TemplateError(templateName, 1, 1, "template nests too deeply");
    throw e;
  }
}
