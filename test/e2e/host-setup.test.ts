/**
 * `npm start` runs scripts/host-setup.sh in the terminal's foreground process group; Ctrl-C sends
 * SIGINT to that whole group. The Docker engine it starts must live in its own session, so stopping
 * the server never stops the engine and every container with it.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";

/** The process ids of running `dockerd` processes (from /proc, no tools needed). */
function dockerdPids(): number[] {
  const out = Bun.spawnSync(["pidof", "dockerd"]).stdout.toString().trim();
  return out ? out.split(/\s+/).map(Number) : [];
}

/** Fields 5 and 6 of /proc/<pid>/stat: process group and session ids. */
function groupAndSession(pid: number): { pgid: number; sid: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { pgid: Number(fields[2]), sid: Number(fields[3]) };
}

test("the Docker engine leads its own session and process group", () => {
  const pids = dockerdPids();
  expect(pids.length).toBeGreaterThan(0);
  const own = pids.filter((pid) => {
    const { pgid, sid } = groupAndSession(pid);
    return pgid === pid && sid === pid;
  });
  // The host's engine is one of them (the multi-host tests' inner engines run in containers).
  expect(own.length).toBeGreaterThan(0);
  const self = groupAndSession(process.pid);
  for (const pid of own) expect(groupAndSession(pid).pgid).not.toBe(self.pgid);
});
