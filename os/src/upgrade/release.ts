// A CorralOS release: a tar holding release.json (version and the sha256 of each file), its ed25519
// signature release.sig (base64, by the build's signing key, build/release.sh) and the files it
// names (vmlinuz, initrd). The signature covers release.json's exact bytes and release.json pins
// every file's checksum, so one signature check plus the checksums prove the whole slot.
import { createHash, createPublicKey, verify } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

/** The files a release carries (the kernel and the initramfs that is the whole root). */
export const releaseFiles = ["vmlinuz", "initrd"] as const;

/** release.json. */
export const releaseManifestSchema = z
  .object({
    version: z.string().regex(/^[A-Za-z0-9._+-]{1,64}$/, "a version is 1-64 letters, digits, . _ + -"),
    created: z.string().optional(),
    sha256: z.object({
      vmlinuz: z.string().regex(/^[0-9a-f]{64}$/),
      initrd: z.string().regex(/^[0-9a-f]{64}$/),
    }),
  })
  .strict();
/** A parsed release.json. */
export type ReleaseManifest = z.infer<typeof releaseManifestSchema>;

/** Where the image keeps the public keys it trusts for releases (PEM, one per file). */
export const trustedKeysDir = "usr/share/corral/release-keys";

/** The PEM public keys in `dir` (files ending .pem). */
export function loadTrustedKeys(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith(".pem"))
      .sort()
      .map((f) => readFileSync(join(dir, f), "utf8"));
  } catch {
    return [];
  }
}

/** sha256 of a file, hex, streamed. */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of Bun.file(path).stream()) h.update(chunk);
  return h.digest("hex");
}

/** True when `sig` (base64) is an ed25519 signature of `data` by one of the PEM keys. */
export function signedByOneOf(data: Buffer, sig: string, keys: readonly string[]): boolean {
  const raw = Buffer.from(sig.trim(), "base64");
  if (raw.length !== 64) return false;
  return keys.some((pem) => {
    try {
      const key = createPublicKey(pem);
      return key.asymmetricKeyType === "ed25519" && verify(null, data, key, raw);
    } catch {
      return false;
    }
  });
}

/**
 * Checks an unpacked release in `dir`: the signature first (nothing in an unsigned manifest is
 * believed), then the manifest's shape, then each file's checksum. Throws saying what is wrong.
 */
export async function verifyRelease(dir: string, keys: readonly string[]): Promise<ReleaseManifest> {
  const manifestFile = join(dir, "release.json");
  const sigFile = join(dir, "release.sig");
  if (!existsSync(manifestFile) || !existsSync(sigFile))
    throw new Error("not a CorralOS release: release.json or release.sig is missing");
  if (keys.length === 0) throw new Error("no trusted release keys in this image: cannot check a signature");
  const data = readFileSync(manifestFile);
  if (!signedByOneOf(data, readFileSync(sigFile, "utf8"), keys))
    throw new Error("the release's signature does not verify with any trusted key: refused");
  let manifest: ReleaseManifest;
  try {
    manifest = releaseManifestSchema.parse(JSON.parse(data.toString("utf8")));
  } catch (e) {
    throw new Error(`release.json is not valid: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const f of releaseFiles) {
    const path = join(dir, f);
    if (!existsSync(path)) throw new Error(`the release has no ${f}`);
    const sum = await sha256File(path);
    if (sum !== manifest.sha256[f])
      throw new Error(
        `${f}: checksum ${sum.slice(0, 12)}... does not match the signed ${manifest.sha256[f].slice(0, 12)}...`,
      );
  }
  return manifest;
}
