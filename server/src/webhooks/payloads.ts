import { dockerHubPushSchema, registryEnvelopeSchema } from "@corral/api";
import { AppError } from "@corral/lib";

/** One pushed image: its repository as an image reference would name it, and the tag. */
export interface Push {
  repository: string;
  tag: string;
}

/**
 * The pushes a payload tells of. Docker Hub sends one (`repository.repo_name`, `push_data.tag`);
 * a registry's v2 envelope carries events of every kind: only `push` events of a tagged manifest
 * count, named `request.host/target.repository` (the host clients pushed to, as their image
 * references spell it). Anything else that is not the format's shape is refused (400).
 */
export function pushesOf(format: "dockerhub" | "registry", body: unknown): Push[] {
  if (format === "dockerhub") {
    const p = dockerHubPushSchema.safeParse(body);
    if (!p.success)
      throw new AppError(
        "InvalidFormat",
        "not a Docker Hub push payload: expected push_data.tag and repository.repo_name",
      );
    return [{ repository: p.data.repository.repo_name, tag: p.data.push_data.tag }];
  }
  const p = registryEnvelopeSchema.safeParse(body);
  if (!p.success)
    throw new AppError(
      "InvalidFormat",
      "not a registry notification envelope: expected events[] with action, target and request",
    );
  const out: Push[] = [];
  for (const e of p.data.events) {
    const repo = e.target?.repository;
    const tag = e.target?.tag;
    if (e.action !== "push" || !repo || !tag) continue;
    const host = e.request?.host;
    const repository = host ? `${host}/${repo}` : repo;
    if (!out.some((x) => x.repository === repository && x.tag === tag)) out.push({ repository, tag });
  }
  return out;
}

/** An image reference cut into its canonical repository (`host/path`) and its tag. */
export interface ImageName {
  /** As written, without tag or digest (`localhost:5000/web`, `nginx`). */
  written: string;
  /** Canonical: Docker Hub's host and `library/` made explicit (`docker.io/library/nginx`). */
  canonical: string;
  tag: string;
}

/** Parses `[docker:]repo[:tag][@digest]` the way Docker reads it. */
export function parseImage(ref: string): ImageName {
  let rest = ref.replace(/^docker:/, "");
  const at = rest.indexOf("@");
  if (at >= 0) rest = rest.slice(0, at);
  const slash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  const tag = colon > slash ? rest.slice(colon + 1) : "latest";
  const written = colon > slash ? rest.slice(0, colon) : rest;
  return { written, canonical: canonicalRepository(written), tag };
}

/** `host/path` with Docker Hub's defaults made explicit, lower-cased host. */
export function canonicalRepository(repo: string): string {
  const parts = repo.split("/");
  const first = parts[0] ?? "";
  const hasHost = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const host = hasHost ? first.toLowerCase() : "docker.io";
  let path = hasHost ? parts.slice(1) : parts;
  if (host === "index.docker.io" || host === "registry-1.docker.io")
    return canonicalRepository(path.join("/"));
  if (host === "docker.io" && path.length === 1) path = ["library", ...path];
  return `${host}/${path.join("/")}`;
}
