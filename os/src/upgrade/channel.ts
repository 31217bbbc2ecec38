// A release channel: a releases file (YAML or JSON) at a URL or a local path, listing versions and
// where each release tar is (a URL, or a path relative to the releases file):
//   releases:
//     - version: v0.2.0
//       url: corral-v0.2.0.tar
// A channel may also be a single release tar (a local file), which lists just itself.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "yaml";
import { z } from "zod";

const releasesSchema = z.object({
  releases: z.array(z.object({ version: z.string().min(1), url: z.string().min(1) }).strict()),
});

/** One release a channel offers. */
export interface ChannelRelease {
  version: string;
  /** An absolute URL (http, https, file) or an absolute local path. */
  location: string;
}

const isUrl = (s: string) => /^(https?|file):\/\//.test(s);

/** Reads a channel's text: over HTTP(S) with a time limit, or from a local file. */
async function readChannel(channel: string): Promise<string> {
  if (/^https?:\/\//.test(channel)) {
    const r = await fetch(channel, { signal: AbortSignal.timeout(30_000) });
    if (!r.ok) throw new Error(`${channel}: HTTP ${r.status}`);
    return r.text();
  }
  const path = channel.startsWith("file://") ? new URL(channel).pathname : channel;
  return readFileSync(path, "utf8");
}

/** Parses a releases file; locations are resolved against the channel's own location. */
export function parseReleases(text: string, channel: string): ChannelRelease[] {
  let data: unknown;
  try {
    data = parse(text);
  } catch (e) {
    throw new Error(`${channel}: not YAML or JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = releasesSchema.safeParse(data);
  if (!r.success) throw new Error(`${channel}: not a releases file (releases: [{version, url}])`);
  return r.data.releases.map(({ version, url }) => ({
    version,
    location:
      isUrl(url) || url.startsWith("/")
        ? url
        : isUrl(channel)
          ? new URL(url, channel).href
          : resolve(dirname(channel), url),
  }));
}

/** The releases a channel offers; a `.tar` path is a channel of one (its version read on upgrade). */
export async function listChannel(channel: string): Promise<ChannelRelease[]> {
  if (!isUrl(channel) && channel.endsWith(".tar")) return [{ version: "(from file)", location: channel }];
  return parseReleases(await readChannel(channel), channel);
}

/** Copies a release to `dest`: downloads a URL (streamed) or names a local file as it is. */
export async function fetchRelease(location: string, dest: string): Promise<string> {
  if (!/^https?:\/\//.test(location))
    return location.startsWith("file://") ? new URL(location).pathname : location;
  const r = await fetch(location, { signal: AbortSignal.timeout(1_800_000) });
  if (!r.ok || !r.body) throw new Error(`${location}: HTTP ${r.status}`);
  await Bun.write(dest, r);
  return dest;
}
