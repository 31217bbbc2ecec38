import { AppError } from "@corral/lib";
import type { Hono } from "hono";
import type { ServerSettings } from "../services/context.ts";
import { defaultMaxServiceScale, maxScaleSetting, maxScaleVariable } from "../services/scale-limit.ts";
import type { ApiEnv } from "./env.ts";

/** One server setting as Rancher 1.6 showed them (`/v2-beta/settings/<name>`), read-only here. */
interface SettingView {
  name: string;
  value: string;
  /** Where the value comes from: `Env` (set at start) or `Code` (the default). */
  source: "Env" | "Code";
  description: string;
}

function settingsOf(settings: ServerSettings): SettingView[] {
  const max = settings.maxServiceScale;
  return [
    {
      name: maxScaleSetting,
      value: String(max ?? defaultMaxServiceScale),
      source: max !== undefined && max !== defaultMaxServiceScale ? "Env" : "Code",
      description: `The most units one service may have; a larger scale is refused (422). Set with ${maxScaleVariable} at start.`,
    },
  ];
}

function present(s: SettingView, base: string) {
  return {
    id: s.name,
    type: "setting",
    ...s,
    activeValue: s.value,
    links: { self: `${base}/v2-beta/settings/${s.name}` },
    actions: {},
  };
}

/**
 * `GET /v2-beta/settings` and `GET /v2-beta/settings/<name>`: the server settings any caller may
 * need to know to stay within them (read-only; they are set at start).
 */
export function settingsRoutes<E extends ApiEnv>(app: Hono<E>, settings: ServerSettings): void {
  app.get("/v2-beta/settings", (c) => {
    const base = c.get("base");
    const data = settingsOf(settings).map((s) => present(s, base));
    return c.json({
      type: "collection",
      resourceType: "setting",
      links: { self: `${base}/v2-beta/settings` },
      data,
      pagination: { limit: data.length, total: data.length, partial: false },
      filters: {},
      sortLinks: {},
    });
  });
  app.get("/v2-beta/settings/:name", (c) => {
    const name = c.req.param("name");
    const found = settingsOf(settings).find((s) => s.name === name);
    if (!found) throw new AppError("NotFound", `no setting ${name.slice(0, 64)}`);
    return c.json(present(found, c.get("base")));
  });
}
