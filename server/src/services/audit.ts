import type { Principal } from "../auth/principal.ts";
import type { Store } from "../store/store.ts";

/** Fields whose values never reach the audit log. */
const secretFields = /secret|password|token|key$|privatekey|^cert$|^key$/i;

/** Returns a copy of `value` with every secret-looking field replaced by "<redacted>". */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return "<deep>";
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => redact(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = secretFields.test(k) && k !== "publicValue" ? "<redacted>" : redact(v, depth + 1);
    }
    return out;
  }
  if (typeof value === "string" && value.length > 4096) return `${value.slice(0, 4096)}...`;
  return value;
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
  store.insert("auditLog", {
    projectId: entry.projectId,
    state: "active",
    data: {
      authType: entry.principal ? "apiKey" : "none",
      authenticatedAsAccountId: entry.principal?.accountId ?? null,
      authenticatedAsIdentityId: entry.principal?.keyId ?? null,
      clientIp: entry.clientIp,
      eventType: entry.eventType,
      resourceType: entry.resourceType,
      resourceId: entry.resourceId,
      requestObject: redact(entry.requestObject),
      responseCode: entry.responseCode,
      description: entry.description ?? "",
    },
  });
}
