import { closeSync, openSync, readSync } from "node:fs";

/** What a `docker save` tarball holds: the image ids and their repository tags. */
export interface TarImages {
  ids: string[];
  tags: string[];
}

/**
 * Reads the images a `docker save` tarball holds, from its manifest.json, without extracting it
 * (the tarballs are tens of MB and boot time matters): walk the 512-byte tar headers, read only
 * manifest.json. Handles both the legacy (`<id>.json`) and OCI (`blobs/sha256/<id>`) layouts.
 */
export function imagesInTar(path: string): TarImages {
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
        const manifest = JSON.parse(body.toString("utf8")) as {
          Config: string;
          RepoTags?: string[] | null;
        }[];
        return {
          ids: manifest.map(
            (m) => `sha256:${m.Config.replace(/^blobs\/sha256\//, "").replace(/\.json$/, "")}`,
          ),
          tags: manifest.flatMap((m) => m.RepoTags ?? []),
        };
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
  } finally {
    closeSync(fd);
  }
}
