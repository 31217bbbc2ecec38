import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InstallRequest, serveControl } from "../init/control-socket.ts";
import type { CliIo } from "./cli-io.ts";
import { installCommand } from "./install-cmd.ts";

function fakeIo() {
  const root = mkdtempSync(join(tmpdir(), "corral-install-cli-"));
  let out = "";
  let err = "";
  const io: CliIo = {
    root,
    initSocket: join(root, "init.sock"),
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stdin: async () => "",
  };
  return { io, root, out: () => out, err: () => err };
}

test("usage errors exit 2 and never reach PID 1", async () => {
  const t = fakeIo();
  expect(await installCommand([], t.io)).toBe(2);
  expect(t.err()).toContain("-d DEVICE is required");
  expect(await installCommand(["-d", "/dev/vda", "-t", "zfs"], t.io)).toBe(2);
  expect(t.err()).toContain("unknown install type 'zfs'");
});

test("a missing or invalid cloud-config is refused before the disk is touched", async () => {
  const t = fakeIo();
  const calls: InstallRequest[] = [];
  const control = serveControl(t.io.initSocket, {
    status: () => [],
    reconcile: async () => [],
    power: () => {},
    install: async (req) => {
      calls.push(req);
      return { log: ["installed"], reboot: false };
    },
  });
  try {
    expect(await installCommand(["-d", "/dev/vda", "-c", join(t.root, "nope.yml")], t.io)).toBe(1);
    expect(t.err()).toContain("cannot read the cloud-config");
    const bad = join(t.root, "bad.yml");
    writeFileSync(bad, "#cloud-config\nhostname: [unclosed\n");
    expect(await installCommand(["-d", "/dev/vda", "-c", bad], t.io)).toBe(1);
    expect(t.err()).toContain("bad.yml");
    expect(calls).toHaveLength(0);

    const good = join(t.root, "good.yml");
    writeFileSync(good, "#cloud-config\nhostname: box\n");
    expect(await installCommand(["-d", "/dev/vda", "-c", good, "--no-reboot"], t.io)).toBe(0);
    expect(calls).toEqual([
      { argv: ["-d", "/dev/vda", "-c", good, "--no-reboot"], cloudConfig: "#cloud-config\nhostname: box\n" },
    ]);
    expect(t.out()).toContain("installed");
  } finally {
    control.stop();
  }
});

test("a failing install exits 1 with PID 1's reason", async () => {
  const t = fakeIo();
  const control = serveControl(t.io.initSocket, {
    status: () => [],
    reconcile: async () => [],
    power: () => {},
    install: async () => {
      throw new Error("/dev/vda has partitions (vda1); use --force to erase the disk");
    },
  });
  try {
    expect(await installCommand(["-d", "/dev/vda", "--no-reboot"], t.io)).toBe(1);
    expect(t.err()).toContain("use --force");
  } finally {
    control.stop();
  }
});
