import { createLogger, sleep } from "@corral/lib";
import { parseServiceFile } from "../src/services/service-file.ts";
import type { ServiceSpec } from "../src/services/service-schema.ts";

/** A service named `name` with image `img/<name>` and the rest of its service.yml from `yaml`. */
export function svc(name: string, yaml: string): ServiceSpec {
  return parseServiceFile(name, `image: img/${name}\n${yaml}`, `${name}/service.yml`);
}

process.env.CORRAL_LOG_LEVEL ??= "error";
/** Supervisor options for tests: a logger quiet unless CORRAL_LOG_LEVEL says otherwise, short backoff. */
export const quiet = { log: createLogger("test"), backoffBaseMs: 5, backoffMaxMs: 10 };

/** Polls `check` until it holds; fails after `ms` (generous: the machine may be loaded). */
export async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out");
    await sleep(5);
  }
}
