import { formatId, type PullAuth, type SecretFile, type SecretRef } from "@corral/api";
import { AppError } from "@corral/lib";
import type { StackFields } from "../model/service.ts";
import type { Store } from "../store/store.ts";
import { canonicalRegistry, type RegistryCredentialFields, type RegistryFields } from "./registries.ts";
import { vaultOf } from "./vault.ts";

/**
 * The registry host of an image reference, as Docker decides it: the first path part is a registry
 * when it has a `.` or a `:` or is `localhost` (`reg.example:5000/app:1`, `localhost/app`); anything
 * else (`busybox`, `library/busybox`, `user/app:tag`) is on Docker Hub, `docker.io`.
 */
export function registryHostOf(image: string): string {
  const ref = image.replace(/^docker:/, "");
  const slash = ref.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = ref.slice(0, slash);
  if (first.includes(".") || first.includes(":") || first === "localhost") return canonicalRegistry(first);
  return "docker.io";
}

/**
 * The credentials an environment holds for the registry of `image`, opened for one pull; undefined
 * when the environment has no registry with a credential for that host (a public pull).
 */
export function pullAuthFor(store: Store, projectId: string, image: string): PullAuth | undefined {
  const host = registryHostOf(image);
  const registry = store
    .all<RegistryFields>("registry", { projectId })
    .find((r) => r.state === "active" && canonicalRegistry(r.data.serverAddress) === host);
  if (!registry) return undefined;
  const registryId = formatId("registry", registry.id);
  const credential = store
    .all<RegistryCredentialFields>("registryCredential", { projectId })
    .find((c) => c.state === "active" && c.data.registryId === registryId);
  const sealed = credential && store.secretOf(credential.id);
  if (!credential || !sealed) return undefined;
  return {
    username: credential.data.publicValue,
    password: vaultOf(store).open(sealed),
    // Docker's auth lookup wants Docker Hub under its index address.
    serveraddress: host === "docker.io" ? "https://index.docker.io/v1/" : registry.data.serverAddress,
    ...(credential.data.email ? { email: credential.data.email } : {}),
  };
}

/**
 * The secret files of a container, each secret looked up in its environment by id or by name (compose
 * refers by name) and opened for this one create. A missing secret stops the create with its name.
 */
export function secretFilesFor(store: Store, projectId: string, refs: SecretRef[] | undefined): SecretFile[] {
  if (!refs?.length) return [];
  const live = store.all("secret", { projectId }).filter((s) => s.state === "active");
  return refs.map((ref) => {
    const row = live.find((s) => formatId("secret", s.id) === ref.secretId || s.name === ref.secretId);
    const sealed = row && store.secretOf(row.id);
    if (!row || !sealed)
      throw new AppError("InvalidReference", `secret ${ref.secretId} not found in this environment`);
    return {
      target: ref.name ?? row.name!,
      uid: Number(ref.uid ?? 0),
      gid: Number(ref.gid ?? 0),
      mode: Number.parseInt(ref.mode ?? "0444", 8),
      value: vaultOf(store).open(sealed),
    };
  });
}

/**
 * The password answers of a catalog stack, opened for one create: its containers keep them as
 * `${VAR}` references (catalog/secret-services.ts). Empty for a container of no stack, or of a stack
 * without password answers. Catalog answers are sealed with the same box as the vault (server.ts).
 */
export function stackPasswordsFor(store: Store, stackId: string | undefined): Record<string, string> {
  const sealed = stackId ? store.getByPublicId<StackFields>("stack", stackId)?.data.secretAnswers : undefined;
  if (!sealed) return {};
  const box = vaultOf(store);
  return Object.fromEntries(Object.entries(sealed).map(([k, v]) => [k, box.open(v)]));
}
