import type { Principal } from "../auth/principal.ts";
import type { Store } from "../store/store.ts";

/** Fields whose values never reach the audit log. */
const secretFields = /secret|password|token|key$|privatekey|^cert$|^key$/i;

/**
 * What an audit row keeps of a request body. A refused 1 MiB body once made a ~890 KB row per
 * request; a row is a record of who asked for what, and 16 KiB holds any ordinary body whole.
 */
export const auditLimits = {
  /** Approximate JSON size of the copy. */
  bytes: 16 * 1024,
  /** Keys kept of one object, items of one array. */
  keys: 100,
  items: 100,
  /** Characters kept of one string. */
  string: 4096,
  depth: 8,
};

/** A body as an audit row keeps it. */
export interface AuditCopy {
  value: unknown;
  /** True when anything was cut (each cut is marked where it happened). */
  truncated: boolean;
}

/**
 * Returns a bounded copy of `value` with every secret-looking field replaced by "<redacted>".
 * Past {@link auditLimits} it cuts, marking each cut in place: a string ends with
 * "...(+N chars)", an object gets a "..." key saying how many keys were left out, an array a last
 * item saying how many items were, and a value nested too deep becomes "<deep>".
 */
export function auditCopy(value: unknown): AuditCopy {
  let left = auditLimits.bytes;
  let truncated = false;
  const copy = (v: unknown, depth: number): unknown => {
    if (typeof v === "string") {
      const keep = Math.max(0, Math.min(v.length, auditLimits.string, left - 2));
      left -= keep + 2;
      if (keep === v.length) return v;
      truncated = true;
      return `${v.slice(0, keep)}...(+${v.length - keep} chars)`;
    }
    if (v === null || typeof v !== "object") {
      left -= 8;
      return v;
    }
    if (depth >= auditLimits.depth) {
      truncated = true;
      left -= 8;
      return "<deep>";
    }
    left -= 2;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      for (const item of v) {
        if (out.length >= auditLimits.items || left <= 0) break;
        out.push(copy(item, depth + 1));
      }
      if (out.length < v.length) {
        truncated = true;
        out.push(`...(+${v.length - out.length} items)`);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    const keys = Object.keys(v);
    let kept = 0;
    for (const k of keys) {
      if (kept >= auditLimits.keys || left <= 0) break;
      left -= Math.min(k.length, 256) + 3;
      const item = (v as Record<string, unknown>)[k];
      out[k.slice(0, 256)] =
        secretFields.test(k) && k !== "publicValue" ? "<redacted>" : copy(item, depth + 1);
      kept++;
    }
    if (kept < keys.length) {
      truncated = true;
      out["..."] = `+${keys.length - kept} keys`;
    }
    return out;
  };
  return { value: copy(value, 0), truncated };
}

/** One audit entry. */
export interface AuditEntry {
  principal: Principal | null;
  clientIp: string;
  eventType: string;
  resourceType: string;
  resourceId: string | null;
  projectId: string | null;
  requestObject: unknown;
  responseCode: number;
  description?: string;
}

/** Writes an audit row (call inside the verb's transaction so both land or neither does). */
export function writeAudit(store: Store, entry: AuditEntry): void {
  // A secret's field is plainly `value`: redacted by type, as the name alone says nothing.
  const body = entry.requestObject;
  const kept = auditCopy(
    entry.resourceType === "secret" && body && typeof body === "object" && "value" in body
      ? { ...body, value: "<redacted>" }
      : body,
  );
  store.insert("auditLog", {
    projectId: entry.projectId,
    state: "active",
    data: {
      authType: entry.principal ? (entry.principal.via === "session" ? "session" : "apiKey") : "none",
      authenticatedAsAccountId: entry.principal?.accountId ?? null,
      authenticatedAsIdentityId: entry.principal?.keyId ?? null,
      clientIp: entry.clientIp,
      eventType: entry.eventType,
      resourceType: entry.resourceType,
      resourceId: entry.resourceId,
      requestObject: kept.value,
      requestObjectTruncated: kept.truncated,
      responseCode: entry.responseCode,
      description: entry.description ?? "",
    },
  });
}
