import type { SecretRef } from "@corral/api";
import type { Draft } from "./draft.ts";
import type { FileReporter, Located } from "./issues.ts";
import { asBool, asMap, asSeq, asString, typeName } from "./values.ts";
import { entry, type YNode } from "./yaml-tree.ts";

const fileNameRe = /^[a-zA-Z0-9_][a-zA-Z0-9_.-]*$/;

/**
 * Reads top-level `secrets:`: each entry names a secret of the environment (Rancher 1.6 kept secret
 * values in the environment, not in files), as `external: true`, `external: {name}` or `name:`.
 * Returns compose name -> the environment secret's name. `file:` and `environment:` sources are
 * refused: the server has no files or shell of the user's; create the secret first.
 */
export function parseTopSecrets(r: FileReporter, n: YNode): Record<string, string> {
  const out: Record<string, string> = {};
  if (n.kind === "scalar" && n.value === null) return out;
  const m = asMap(r, n, "a mapping of secrets");
  if (!m) return out;
  for (const e of m.entries) {
    const at = { pos: e.keyPos, path: e.value.path };
    let name = e.key;
    if (e.value.kind === "map") {
      for (const k of e.value.entries) {
        if (k.key === "external") {
          if (k.value.kind === "map") {
            const given = entry(k.value, "name");
            const v = given && asString(r, given.value);
            if (v) name = v;
          } else if (asBool(r, k.value) === false)
            r.error(k.value, `secret ${e.key}: only external secrets are supported (external: true)`);
        } else if (k.key === "name") {
          const v = asString(r, k.value);
          if (v) name = v;
        } else if (k.key === "file" || k.key === "environment")
          r.error(
            { pos: k.keyPos, path: k.value.path },
            `secret ${e.key}: ${k.key} sources are not read here; create the secret in the environment and declare it external: true`,
          );
        else if (!k.key.startsWith("x-"))
          r.error({ pos: k.keyPos, path: k.value.path }, `unknown key "${k.key}" in secret ${e.key}`);
      }
    } else if (!(e.value.kind === "scalar" && e.value.value === null)) {
      r.error(at, `secret ${e.key} must be a mapping (external: true), not ${typeName(e.value)}`);
      continue;
    }
    out[e.key] = name;
  }
  return out;
}

/** A mode as compose writes it: 0444 (YAML 1.1 octal, or the digits read as decimal) or "0444". */
function modeOf(r: FileReporter, n: YNode): string | undefined {
  if (n.kind === "scalar" && typeof n.value === "number" && Number.isInteger(n.value)) {
    const digits = String(n.value);
    // YAML 1.2 reads 0444 as 444: digits 0-7 are meant as octal; other numbers are the value itself.
    if (/^[0-7]{1,4}$/.test(digits)) return digits.padStart(4, "0");
    if (n.value >= 0 && n.value <= 0o7777) return n.value.toString(8).padStart(4, "0");
  }
  if (n.kind === "scalar" && typeof n.value === "string" && /^0?[0-7]{3,4}$/.test(n.value)) return n.value;
  r.error(
    n,
    `secret mode must be an octal mode like 0444, not ${n.kind === "scalar" ? JSON.stringify(n.value) : typeName(n)}`,
  );
  return undefined;
}

function idOf(r: FileReporter, n: YNode, what: string): string | undefined {
  if (n.kind === "scalar" && (typeof n.value === "number" || /^[0-9]{1,10}$/.test(String(n.value))))
    return String(n.value);
  r.error(n, `secret ${what} must be a number`);
  return undefined;
}

/**
 * A service's `secrets:`: short form (`- name`) or long form (`source`, `target`, `uid`, `gid`,
 * `mode`). The source stays a name here; the stack's top-level declarations map it afterwards
 * ({@link resolveSecretNames}) and the server finds the secret by name when it makes a container.
 */
export function secretsHandler(r: FileReporter, d: Draft, n: YNode, _at: Located): void {
  const s = asSeq(r, n);
  if (!s) return;
  const refs: SecretRef[] = [];
  for (const it of s.items) {
    if (it.kind === "scalar") {
      const source = asString(r, it);
      if (source) refs.push({ secretId: source });
      continue;
    }
    const m = asMap(r, it, "a secret name or a mapping (source, target, uid, gid, mode)");
    if (!m) continue;
    const ref: Partial<SecretRef> = {};
    for (const k of m.entries) {
      if (k.key === "source") ref.secretId = asString(r, k.value);
      else if (k.key === "target") {
        const t = asString(r, k.value);
        if (t !== undefined && (!fileNameRe.test(t) || t.length > 255))
          r.error(k.value, `secret target "${t}" must be a file name (it goes under /run/secrets)`);
        else if (t !== undefined) ref.name = t;
      } else if (k.key === "uid") ref.uid = idOf(r, k.value, "uid");
      else if (k.key === "gid") ref.gid = idOf(r, k.value, "gid");
      else if (k.key === "mode") ref.mode = modeOf(r, k.value);
      else
        r.error(
          { pos: k.keyPos, path: k.value.path },
          `unknown key "${k.key}" in a secret of service ${d.name}`,
        );
    }
    if (!ref.secretId) r.error(it, "a secret needs a source");
    else refs.push(Object.fromEntries(Object.entries(ref).filter(([, v]) => v !== undefined)) as SecretRef);
  }
  d.lc.secrets = refs;
}

/** Maps each service's secret sources through the stack's top-level declarations (their env names). */
export function resolveSecretNames(drafts: Draft[], declared: Record<string, string>): void {
  for (const d of drafts)
    d.lc.secrets = d.lc.secrets?.map((s) => {
      const name = declared[s.secretId];
      if (name === undefined || name === s.secretId) return s;
      // The file keeps the name the service used, as compose does.
      return { ...s, secretId: name, name: s.name ?? s.secretId };
    });
}
