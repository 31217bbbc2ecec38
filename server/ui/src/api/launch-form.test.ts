import { describe, expect, test } from "bun:test";
import { FormError, fromForm, splitCommand, toForm } from "./launch-form.ts";

describe("the launch configuration form", () => {
  const lc = {
    imageUuid: "docker:nginx:1.25",
    command: ["sh", "-c", "echo hi there"],
    environment: { A: "1", B: "x=y" },
    ports: ["8080:80/tcp"],
    labels: { tier: "web", "io.rancher.scheduler.affinity:host_label": "zone=a" },
    healthCheck: { port: 80, requestLine: "GET /", interval: 2000, strategy: "recreate" },
    restartPolicy: { name: "always" },
  };

  test("round-trips every field, scheduling rules apart from labels, unknown fields kept", () => {
    const form = toForm(lc);
    expect(form.image).toBe("nginx:1.25");
    expect(form.command).toBe('sh -c "echo hi there"');
    expect(form.labels).toBe("tier=web");
    expect(form.scheduling).toBe("io.rancher.scheduler.affinity:host_label=zone=a");
    expect(fromForm(form, lc)).toEqual(lc);
  });

  test("clearing the command and the health check port removes them", () => {
    const next = fromForm({ ...toForm(lc), command: "", healthPort: "" }, lc);
    expect(next.command).toBeUndefined();
    expect(next.healthCheck).toBeUndefined();
  });

  test("garbage is refused with the field at fault", () => {
    const bad = (patch: object, field: string) => {
      try {
        fromForm({ ...toForm(lc), ...patch }, lc);
        throw new Error("accepted");
      } catch (e) {
        expect(e).toBeInstanceOf(FormError);
        expect((e as FormError).field).toBe(field as never);
      }
    };
    bad({ image: "  " }, "image");
    bad({ environment: "NOEQUALS" }, "environment");
    bad({ scheduling: "tier=web" }, "scheduling");
    bad({ healthPort: "eighty" }, "healthPort");
    bad({ healthInterval: "-5" }, "healthInterval");
  });

  test("command lines split on spaces and keep quoted groups", () => {
    expect(splitCommand(`echo "a b" 'c d' e\\"f`)).toEqual(["echo", "a b", "c d", 'e\\"f']);
  });
});
