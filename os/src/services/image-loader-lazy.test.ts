import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import { imagesInTar, manifestPathOf } from "./image-tar.ts";
import { ImageLoader } from "./system-docker.ts";

/** A `docker save`-shaped tarball holding only manifest.json, naming one image `tag` with id `id`. */
async function fakeSave(dir: string, file: string, tag: string, id: string): Promise<void> {
  const src = mkdtempSync(join(tmpdir(), "corral-tar-"));
  writeFileSync(join(src, "manifest.json"), JSON.stringify([{ Config: `${id}.json`, RepoTags: [tag] }]));
  const p = Bun.spawn(["tar", "-C", src, "-cf", join(dir, file), "manifest.json"]);
  if ((await p.exited) !== 0) throw new Error("tar failed");
}

/** The part of dockerode ImageLoader uses; records which tarballs were loaded. */
function fakeDocker(loaded: string[]): Docker {
  return {
    listImages: async () => [],
    loadImage: async (stream: { path: string | Buffer }) => {
      loaded.push(basename(String(stream.path)));
      return Readable.from(['{"stream":"Loaded image"}']);
    },
  } as unknown as Docker;
}

describe("lazy images", () => {
  test("a lazy image is loaded only when a service asks for it, after what was queued", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-images-"));
    mkdirSync(dir, { recursive: true });
    await fakeSave(dir, "os-console.tar", "corral/os-console:latest", "a1");
    await fakeSave(dir, "os-console-debian.tar", "corral/os-console-debian:latest", "b2");
    const loaded: string[] = [];
    const loader = new ImageLoader(fakeDocker(loaded), dir, { lazy: ["corral/os-console-debian"] });
    expect(await loader.done).toEqual(["os-console.tar"]);
    expect(loaded).toEqual(["os-console.tar"]);
    await loader.ready("corral/os-console-debian");
    expect(loaded).toEqual(["os-console.tar", "os-console-debian.tar"]);
    // Asked again (a restart of the service): not loaded twice.
    await loader.ready("corral/os-console-debian:latest");
    expect(loaded).toHaveLength(2);
  });
});

describe("gzipped images", () => {
  test("a .tar.gz is named by the manifest beside it, and handed to Docker's load as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "corral-images-"));
    await fakeSave(dir, "os-console-debian.tar", "corral/os-console-debian:latest", "c3");
    const gz = Bun.spawn(["gzip", join(dir, "os-console-debian.tar")]);
    expect(await gz.exited).toBe(0);
    writeFileSync(
      manifestPathOf(join(dir, "os-console-debian.tar.gz")),
      JSON.stringify([{ Config: "c3.json", RepoTags: ["corral/os-console-debian:latest"] }]),
    );
    expect(imagesInTar(join(dir, "os-console-debian.tar.gz"))).toEqual({
      ids: ["sha256:c3"],
      tags: ["corral/os-console-debian:latest"],
    });
    const loaded: string[] = [];
    const loader = new ImageLoader(fakeDocker(loaded), dir, { lazy: ["corral/os-console-debian"] });
    expect(await loader.done).toEqual([]);
    await loader.ready("corral/os-console-debian");
    expect(loaded).toEqual(["os-console-debian.tar.gz"]);
  });
});
