// biome-ignore-all lint/suspicious/noTemplateCurlyInString: services keep ${VAR} references
import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { parseStack } from "../compose/index.ts";
import {
  changedAnswers,
  exportMarkers,
  markPasswordRefs,
  parseKeepingPasswords,
  refersToAny,
  resolvePasswordRefs,
} from "./secret-services.ts";

const secret = "S3cret-Value-xyz";

/** The parse of `services` (the body under `services:`) with the answers, db_pw and empty_pw being passwords. */
function parse(services: string, answers: Record<string, string> = {}) {
  return parseKeepingPasswords(
    {
      dockerCompose: `version: '2'\nservices:\n${services}`,
      environment: { db_pw: secret, empty_pw: "", title: "t", ...answers },
    },
    ["db_pw", "empty_pw"],
  );
}

/** The error `f` throws. */
function thrown(f: () => unknown): AppError {
  try {
    f();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error("no error");
}

describe("parseKeepingPasswords", () => {
  test("passwords stay references in environment, command and entrypoint; other answers are values", () => {
    const { spec, warnings } = parse(
      [
        "  db:",
        "    image: busybox",
        "    environment:",
        "      PW: ${db_pw}",
        '      URL: "pg://u:${db_pw}@db/${title}"',
        "      EMPTY: x${empty_pw}y",
        "      SET: ${db_pw:+yes}",
        "    command: sh -c 'echo ${db_pw}'",
        "    entrypoint: [run, --pw=$db_pw]",
        "    labels:",
        "      io.rancher.sidekicks: side",
        "  side:",
        "    image: busybox",
        "    environment:",
        "      - SIDE=${db_pw}",
        "",
      ].join("\n"),
    );
    const db = spec.services.find((s) => s.name === "db")!;
    expect(db.launchConfig!.environment).toEqual({
      PW: "${db_pw}",
      URL: "pg://u:${db_pw}@db/t",
      EMPTY: "xy",
      SET: "yes",
    });
    expect(db.launchConfig!.command).toEqual(["sh", "-c", "echo ${db_pw}"]);
    expect(db.launchConfig!.entryPoint).toEqual(["run", "--pw=${db_pw}"]);
    expect(db.secondaryLaunchConfigs[0]!.environment).toEqual({ SIDE: "${db_pw}" });
    expect(JSON.stringify({ spec, warnings })).not.toContain(secret);
  });

  test("without passwords it is parseStack itself", () => {
    const input = {
      dockerCompose: "services:\n  a:\n    image: busybox\n    environment:\n      P: ${p}\n      L: $${p}\n",
      environment: { p: secret },
    };
    expect(parseKeepingPasswords(input, [])).toEqual(parseStack(input));
    expect(parseStack(input).spec.services[0]!.launchConfig!.environment).toEqual({ P: secret, L: "${p}" });
  });

  test("a password anywhere the server reads it is refused, naming the answer and the place", () => {
    for (const [body, place] of [
      ["    labels:\n      pw: ${db_pw}\n", "service a: launchConfig.labels.pw"],
      ["    image: busybox:${db_pw}\n", "service a: launchConfig.imageUuid"],
      ["    volumes: ['/data/${db_pw}:/d']\n", "service a: launchConfig.dataVolumes[0]"],
    ] as const) {
      const e = thrown(() => parse(`  a:\n    image: busybox\n${body}`));
      expect([e.status, e.message]).toEqual([
        422,
        `${place}: the password answer db_pw may go to a container's environment, command or entrypoint only`,
      ]);
    }
  });

  test("a password reference written literally where references resolve is refused", () => {
    const e = thrown(() => parse("  a:\n    image: busybox\n    environment:\n      L: $${db_pw}\n"));
    expect(e.message).toBe(
      "service a: environment L writes ${db_pw} as it is; in a catalog stack that stands for the password answer db_pw, so it is refused",
    );
    // A label is not resolved: a literal reference there is just text.
    const ok = parse("  a:\n    image: busybox\n    labels:\n      l: $${db_pw}\n");
    expect(ok.spec.services[0]!.launchConfig!.labels.l).toBe("${db_pw}");
  });

  test("a parse error quoting a password names its reference, never the value or a marker", () => {
    const e = thrown(() => parse("  a:\n    image: busybox\n    ports: ['${db_pw}']\n"));
    expect(e.status).toBe(422);
    expect(e.message).toContain("${db_pw}");
    expect(JSON.stringify([e.message, e.detail])).not.toMatch(/CorralSecret|S3cret/);
  });
});

describe("resolvePasswordRefs", () => {
  test("references to answers are replaced in one pass; other text and fields are left alone", () => {
    const fields = {
      environment: { A: "${pw}", B: "x${pw}y${other}", C: "$${pw}", D: "${pw2}" },
      command: ["echo", "${pw}"],
      entryPoint: ["${pw2}"],
      labels: { l: "${pw}" },
    };
    const out = resolvePasswordRefs(fields, { pw: "p1", pw2: "has ${pw} inside" });
    expect(out).toEqual({
      environment: { A: "p1", B: "xp1y${other}", C: "$p1", D: "has ${pw} inside" },
      command: ["echo", "p1"],
      entryPoint: ["has ${pw} inside"],
      labels: { l: "${pw}" },
    });
    expect(resolvePasswordRefs(fields, {})).toBe(fields);
  });
});

describe("upgrades and export", () => {
  const lc = parse("  a:\n    image: busybox\n    environment:\n      P: ${db_pw}\n").spec.services[0]!;

  test("a changed answer is found, and the launch configs that refer to it", () => {
    const changed = changedAnswers({ db_pw: "a", x: "1", gone: "g" }, { db_pw: "b", x: "1", added: "n" });
    expect([...changed].sort()).toEqual(["added", "db_pw", "gone"]);
    expect(refersToAny([lc.launchConfig], changed)).toBe(true);
    expect(refersToAny([lc.launchConfig], new Set(["x"]))).toBe(false);
    expect(refersToAny([undefined], changed)).toBe(false);
  });

  test("references become markers that contain no answer", () => {
    const marker = exportMarkers({ db_pw: secret, short: "ab" });
    expect(marker("db_pw")).toMatch(/^x[0-9a-f]{18}x0x$/);
    const [svc] = markPasswordRefs([lc], ["db_pw"], marker);
    expect(svc!.launchConfig!.environment).toEqual({ P: marker("db_pw") });
    expect(markPasswordRefs([lc], [], marker)[0]).toBe(lc);
  });
});
