import { hostname } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../config/load-config.ts";
import { getPath } from "../config/merge.ts";
import { readUserConfig, setUserConfigKey } from "../config/user-config.ts";
import { listEngines } from "../engines/catalog.ts";
import { defaultServerHosts, dockerTlsDir, genClientCert, genServerCert } from "../engines/docker-tls.ts";
import { chooseEngine, type EngineHost, engineStatus } from "../engines/engine-control.ts";
import { type BootContext, reconcileServices } from "./boot-phases.ts";
import type { ConfigControlHandlers } from "./config-routes.ts";
import type { EngineControlHandlers } from "./engine-routes.ts";

/** PID 1's answers to `corral engine` and `corral tls gen`, over the boot context. */
export function engineHandlers(ctx: BootContext): EngineControlHandlers {
  const host: EngineHost = {
    root: ctx.host.root,
    config: () => ctx.config,
    docker: () => ctx.systemDocker?.current?.docker,
    current: () => ctx.engine ?? listEngines(ctx.host.root)[0]!,
    run: async (engine) => {
      const before = ctx.engine;
      ctx.engine = engine;
      ctx.out.write(`User Docker: switching to ${engine.version}\n`);
      try {
        await reconcileServices(ctx);
      } catch (e) {
        ctx.engine = before;
        throw e;
      }
    },
  };
  const dir = join(ctx.host.root, dockerTlsDir);
  return {
    status: () => engineStatus(host),
    choose: async (req, now) => (await chooseEngine(host, req, now)).version,
    tlsServer: async (hosts) =>
      genServerCert(dir, defaultServerHosts(ctx.config.hostname ?? hostname(), hosts)).map(
        (f) => `/${f.slice(join(ctx.host.root, "/").length)}`,
      ),
    tlsClient: async () => genClientCert(dir),
  };
}

/** PID 1's answers to the console user's `corral config set|get|export`, over the boot context. */
export function configHandlers(ctx: BootContext): ConfigControlHandlers {
  return {
    set: async (key, value) => {
      setUserConfigKey(ctx.host.root, key, value);
      await reconcileServices(ctx);
    },
    get: (key) => getPath(loadConfig({ root: ctx.host.root }), key),
    export: (full) => (full ? loadConfig({ root: ctx.host.root }) : readUserConfig(ctx.host.root)),
  };
}
