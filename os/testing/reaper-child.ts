// Test fixture, run as its own process by init.test.ts: becomes a subreaper (standing in for PID 1),
// makes an orphan that exits, and prints how many zombies it saw before and after the Reaper ran,
// plus whether a Bun-spawned child's exit status survived.
import { sleep } from "@corral/lib";
import { becomeSubreaper } from "../src/init/libc.ts";
import { listZombies, Reaper } from "../src/init/reaper.ts";

const orphans = () => listZombies().filter((z) => z.ppid === process.pid).length;

becomeSubreaper();
const reaper = new Reaper();
// The shell exits at once; its background child is re-parented to us and exits 100 ms later.
await Bun.spawn(["sh", "-c", "sleep 0.1 & exit 0"]).exited;
// Polled, not slept: on a loaded machine the orphan may take far longer than 100 ms to exit.
const deadline = Date.now() + 20_000;
while (orphans() === 0 && Date.now() < deadline) await sleep(20);
const before = orphans();
const own = Bun.spawn(["sh", "-c", "sleep 0.05; exit 7"]);
// Scans while our own child runs, exits and is reaped by Bun: the grace period keeps its status for Bun.
reaper.scan();
await sleep(300);
reaper.scan();
await sleep(1100);
reaper.scan();
const code = await own.exited;
const after = orphans();
console.log(JSON.stringify({ before, after, reaped: reaper.reaped, code }));
