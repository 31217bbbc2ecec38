/**
 * A small load loop for the DNS server (not a test): `bun agent/src/dns/load-bench.ts [queries]`.
 * The server runs here; a child process keeps 64 zone queries in flight over one UDP socket from a
 * container's address (127.0.0.2) and reports answers per second. A benchmark is never a timed unit
 * test; quote medians of several runs.
 */
import { createSocket } from "node:dgram";
import { createLogger } from "@corral/lib";
import { encode } from "dns-packet";
import { HostStateBus } from "../host-state-bus.ts";
import { startDnsServer } from "./server.ts";
import { sampleState } from "./test-state.ts";

const WINDOW = 64;

async function client(port: number, total: number): Promise<void> {
  const sock = createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.2", () => r()));
  const query = encode({
    type: "query",
    id: 1,
    flags: 0x100,
    questions: [{ name: "db.mystack.rancher.internal", type: "A" }],
  });
  let sent = 0;
  let received = 0;
  const done = Promise.withResolvers<void>();
  const send = () => {
    if (sent >= total) return;
    query.writeUInt16BE(sent & 0xffff, 0);
    sent++;
    sock.send(query, port, "127.0.0.1");
  };
  sock.on("message", () => {
    received++;
    if (received >= total) done.resolve();
    else send();
  });
  // Dropped packets would shrink the window: top it up; stop once replies no longer come.
  let last = -1;
  const refill = setInterval(() => {
    if (sent >= total && received === last) done.resolve();
    last = received;
    for (let i = 0; i < WINDOW && sent - received < WINDOW; i++) send();
  }, 200);
  const started = performance.now();
  for (let i = 0; i < WINDOW; i++) send();
  await done.promise;
  clearInterval(refill);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${received} zone answers in ${seconds.toFixed(2)} s: ${Math.round(received / seconds)} queries/s`,
  );
  sock.close();
}

if (process.argv[2] === "--client") {
  await client(Number(process.argv[3]), Number(process.argv[4]));
} else {
  const total = Number(process.argv[2] ?? 100_000);
  const bus = new HostStateBus();
  bus.publish(sampleState(1));
  const dns = await startDnsServer({ bus, logger: createLogger("bench"), address: "127.0.0.1", port: 0 });
  const child = Bun.spawn([process.execPath, import.meta.path, "--client", String(dns.port), String(total)], {
    stdout: "inherit",
    stderr: "inherit",
  });
  await child.exited;
  await dns.stop();
}
