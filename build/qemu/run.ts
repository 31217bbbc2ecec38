#!/usr/bin/env bun
// Boots CorralOS in QEMU with the serial console on this terminal's stdout (and in a log file).
//   bun build/qemu/run.ts [--build] [--iso] [--cloud-config FILE] [--state DISK] [--http-port 8080]
//                         [--https-port 8443] [--ssh-port 2222] [--append "k=v ..."] [--initrd FILE] [--log FILE]
//                         [--until REGEX] [--timeout SECONDS]
// --build runs build/build.sh first; --until exits 0 once the console matches (1 on timeout).
// Ctrl-C stops the machine.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { bootVm, repoRoot } from "./vm.ts";

const { values } = parseArgs({
  options: {
    build: { type: "boolean" },
    iso: { type: "boolean" },
    "cloud-config": { type: "string" },
    state: { type: "string" },
    "http-port": { type: "string", default: "8080" },
    "https-port": { type: "string", default: "8443" },
    "ssh-port": { type: "string", default: "2222" },
    append: { type: "string" },
    initrd: { type: "string" },
    log: { type: "string" },
    until: { type: "string" },
    timeout: { type: "string" },
    memory: { type: "string" },
  },
});

if (values.build) {
  const b = Bun.spawn(["bash", `${repoRoot}/build/build.sh`], { stdout: "inherit", stderr: "inherit" });
  if ((await b.exited) !== 0) process.exit(1);
}
const vm = await bootVm({
  ...(values.iso ? { iso: `${repoRoot}/dist/corral.iso` } : {}),
  ...(values.initrd ? { initrd: values.initrd } : {}),
  ...(values.append ? { append: values.append } : {}),
  ...(values["cloud-config"] ? { cloudConfig: readFileSync(values["cloud-config"], "utf8") } : {}),
  ...(values.state ? { stateDisk: values.state } : {}),
  ...(values.log ? { log: values.log } : {}),
  ...(values.memory ? { memoryMb: Number(values.memory) } : {}),
  httpPort: Number(values["http-port"]),
  httpsPort: Number(values["https-port"]),
  sshPort: Number(values["ssh-port"]),
});
process.stderr.write(
  `[qemu] console log ${vm.log}; https://127.0.0.1:${vm.httpsPort} (CA at /cacerts) ; ssh -p ${vm.sshPort} corral@127.0.0.1\n`,
);
process.on("SIGINT", () => void vm.kill().then(() => process.exit(130)));

// Echo the console as it grows; stop on --until, --timeout or QEMU's exit.
let shown = 0;
const deadline = values.timeout ? Date.now() + Number(values.timeout) * 1000 : Number.POSITIVE_INFINITY;
const until = values.until ? new RegExp(values.until) : undefined;
for (;;) {
  const text = vm.console();
  if (text.length > shown) {
    process.stdout.write(text.slice(shown));
    shown = text.length;
  }
  if (until?.test(text)) {
    await vm.kill();
    process.exit(0);
  }
  if (vm.proc.exitCode !== null) process.exit(until ? 1 : vm.proc.exitCode);
  if (Date.now() > deadline) {
    await vm.kill();
    process.exit(until ? 1 : 0);
  }
  await Bun.sleep(200);
}
