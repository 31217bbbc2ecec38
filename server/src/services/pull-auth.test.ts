import { expect, test } from "bun:test";
import { registryHostOf } from "./pull-auth.ts";

test("the registry host of image references, as Docker reads them", () => {
  const cases: [string, string][] = [
    ["busybox", "docker.io"],
    ["busybox:1.36", "docker.io"],
    ["library/busybox", "docker.io"],
    ["user/app:tag", "docker.io"],
    ["docker.io/user/app", "docker.io"],
    ["index.docker.io/library/nginx:1", "docker.io"],
    ["registry-1.docker.io/x/y", "docker.io"],
    ["reg.example.com/team/app:2", "reg.example.com"],
    ["127.0.0.1:5000/app:1", "127.0.0.1:5000"],
    ["Reg.Example:443/app", "reg.example:443"],
    ["localhost/app", "localhost"],
    ["localhost:5000/app@sha256:abc", "localhost:5000"],
    ["docker:reg.example:5000/app", "reg.example:5000"],
  ];
  for (const [image, host] of cases) expect([image, registryHostOf(image)]).toEqual([image, host]);
});
