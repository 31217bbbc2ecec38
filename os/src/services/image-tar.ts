import { closeSync, openSync, readFileSync, readSync } from "node:fs";

/** What a `docker save` tarball holds: the image ids and their repository tags. */
export interface TarImages {
  ids: string[];
  tags: string[];
}

/** A `docker save` manifest.json as text -> the image ids and tags it names. */
function manifestImages(text: string): TarImages {
  const manifest = JSON.parse(text) as { Config: string; RepoTags?: string[] | null }[];
  return {
    ids: manifest.map((m) => `sha256:${m.Config.replace(/^blobs\/sha256\//, "").replace(/\.json$/, "")}`),
    tags: manifest.flatMap((m) => m.RepoTags ?? []),
  };
}

/** The manifest the build writes beside a gzipped tarball (`<file>.manifest.json`). */
export function manifestPathOf(gzPath: string): string {
  return `${gzPath}.manifest.json`;
}

/**
 * Reads the images a `docker save` tarball holds, from its manifest.json, without extracting it
 * (the tarballs are tens of MB and boot time matters): walk the 512-byte tar headers, read only
 * manifest.json. Handles both the legacy (`<id>.json`) and OCI (`blobs/sha256/<id>`) layouts. A
 * gzipped tarball (`.tar.gz`, kept compressed in RAM: a large console image nobody may use) is
 * named by the copy of its manifest the build writes beside it, so it is never unpacked to be read.
 */
export function imagesInTar(path: string): TarImages {
  if (path.endsWith(".gz")) return manifestImages(readFileSync(manifestPathOf(path), "utf8"));
  const fd = openSync(path, "r");
  try {
    const header = Buffer.alloc(512);
    let offset = 0;
    for (;;) {
      if (readSync(fd, header, 0, 512, offset) < 512) return { ids: [], tags: [] };
      if (header.every((b) => b === 0)) return { ids: [], tags: [] };
      const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
      const prefix = header.subarray(345, 500).toString("utf8").replace(/\0.*$/s, "");
      const size = Number.parseInt(
        header.subarray(124, 136).toString("utf8").replace(/\0.*$/s, "").trim() || "0",
        8,
      );
      const full = prefix ? `${prefix}/${name}` : name;
      if (full === "manifest.json" || full === "./manifest.json") {
        const body = Buffer.alloc(size);
        readSync(fd, body, 0, size, offset + 512);
        return manifestImages(body.toString("utf8"));
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    closeSync(fd);
  }
}
