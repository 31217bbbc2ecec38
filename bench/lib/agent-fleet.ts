/**
 * A child process of `bench/scale-10000-procs.ts`: joins `count` fake agents to the server at `url`
 * with registration token `token`, each pinging every 5 s like the real agent, and keeps them until
 * its stdin closes. With `hostState=on` the agents take the server's network views and assemble
 * them, in this process, so that work is not billed to the server's event loop.
 * Prints `ready` once every agent has joined.
 *   bun bench/lib/agent-fleet.ts <url> <token> <count> <hostState=on|off>
 */
import { FakeAgent } from "../../test/api/fake-agent.ts";

const [url, token, countArg, hostStateArg] = process.argv.slice(2);
if (!url || !token) throw new Error("usage: agent-fleet.ts <url> <token> <count> <on|off>");
const agents: FakeAgent[] = [];
for (let i = 0; i < Number(countArg ?? 40); i++) {
  const agent = await FakeAgent.join(url, token, { ping: false });
  agent.skipHostState = hostStateArg !== "on";
  agent.startPinging(5000);
  agents.push(agent);
}
console.log("ready");
// Frames kept for tests would grow without bound over a 10,000-unit run: drop them as they come.
setInterval(() => {
  for (const a of agents) {
    a.frames.length = 0;
    a.views.length = 0;
  }
}, 1000);
for await (const _ of Bun.stdin.stream()) {
  // Nothing is read: stdin closing (the parent ending) ends the fleet.
}
for (const a of agents) await a.close();
process.exit(0);
