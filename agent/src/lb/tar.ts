/**
 * A minimal ustar writer: Docker's putArchive takes a tar stream, and the files the LB controller
 * writes (a config, a crt-list, a few PEMs) are small and few, so a dependency is not worth it.
 */

/** One file of an archive; `path` is relative (folders are created as needed). */
export interface TarEntry {
  path: string;
  content: string | Uint8Array;
  /** Permission bits, default 0o644. */
  mode?: number;
}

const encoder = new TextEncoder();

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\0`;
}

function header(name: string, size: number, mode: number, type: "0" | "5"): Uint8Array {
  const block = new Uint8Array(512);
  const put = (text: string, offset: number) => block.set(encoder.encode(text), offset);
  if (encoder.encode(name).length > 100) throw new Error(`tar: path too long: ${name}`);
  put(name, 0);
  put(octal(mode, 8), 100);
  put(octal(0, 8), 108);
  put(octal(0, 8), 116);
  put(octal(size, 12), 124);
  put(octal(Math.floor(Date.now() / 1000), 12), 136);
  put("        ", 148);
  put(type, 156);
  put("ustar\0", 257);
  put("00", 263);
  // The checksum is the byte sum of the header with its own field read as spaces.
  const sum = block.reduce((a, b) => a + b, 0);
  put(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
  return block;
}

/** Builds a tar archive of `entries`, with a directory entry for every parent folder. */
export function tarArchive(entries: TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const dirs = new Set<string>();
  for (const entry of entries) {
    const segments = entry.path.split("/").slice(0, -1);
    for (let i = 1; i <= segments.length; i++) {
      const dir = `${segments.slice(0, i).join("/")}/`;
      if (dirs.has(dir)) continue;
      dirs.add(dir);
      parts.push(header(dir, 0, 0o755, "5"));
    }
    const data = typeof entry.content === "string" ? encoder.encode(entry.content) : entry.content;
    parts.push(header(entry.path, data.length, entry.mode ?? 0o644, "0"));
    parts.push(data);
    const pad = (512 - (data.length % 512)) % 512;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
