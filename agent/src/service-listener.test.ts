import { expect, test } from "bun:test";
import { FakeClock } from "@corral/lib/testing";
import { FakeDriver } from "../testing/fake-driver.ts";
import { testHost } from "../testing/host.ts";
import { hostStateFor } from "../testing/ports-state.ts";
import { defaultManagedNetworkConfig } from "./network/config.ts";
import { serviceListenerController } from "./service-listener.ts";

test("listens once there is a view and the address binds, retrying until it does; stops with the agent", async () => {
  const clock = new FakeClock();
  const host = testHost(new FakeDriver(), { clock });
  const calls: string[] = [];
  let bindable = false;
  const controller = serviceListenerController(
    { ...host, network: defaultManagedNetworkConfig },
    "dns",
    async () => {
      calls.push("listen");
      if (!bindable) throw new Error("bind EADDRNOTAVAIL 169.254.169.250:53");
      return { port: 53, stop: async () => void calls.push("stop") };
    },
  );
  host.run(controller);
  await clock.advance(0);
  expect(host.status.get("dns")?.state).toBe("waiting");
  expect(calls).toEqual([]);
  // The first view arrives before the network controller put the address on the bridge.
  host.bus.publish(hostStateFor([]));
  await clock.advance(0);
  expect(host.status.get("dns")).toMatchObject({
    state: "failing",
    message: "bind EADDRNOTAVAIL 169.254.169.250:53",
    failures: 1,
  });
  bindable = true;
  await clock.advance(500);
  expect(host.status.get("dns")).toMatchObject({
    state: "ready",
    message: "listening on 169.254.169.250:53",
  });
  // Later views are the server's business: nothing is bound twice.
  host.bus.publish({ ...hostStateFor([]), version: 2 });
  await clock.advance(0);
  expect(calls).toEqual(["listen", "listen"]);
  await host.stop();
  expect(calls).toEqual(["listen", "listen", "stop"]);
  expect(host.status.get("dns")?.state).toBe("stopped");
});
