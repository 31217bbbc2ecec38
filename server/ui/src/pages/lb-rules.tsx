import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath } from "../api/client.ts";
import { tables } from "../api/live.ts";
import type { Resource, Service } from "../api/types.ts";
import { navigate } from "../router.ts";

/** One port rule as the editor holds it (all text until saved). */
interface Rule {
  hostname: string;
  path: string;
  sourcePort: string;
  protocol: string;
  serviceId: string;
  targetPort: string;
}

const protocols = ["http", "https", "tcp", "tls", "sni", "udp"];

/**
 * The id of the service a compose file's port rule names (`service: web` for one in the balancer's
 * own stack, `service: other/web` in another), as the server resolves it; "" when none is known.
 */
function serviceIdByName(target: string, lbStackId: string): string {
  const [stackName, name] = target.includes("/") ? target.split("/", 2) : [null, target];
  const stackId =
    stackName === null
      ? lbStackId
      : tables.stack.ids.value.find((id) => tables.stack.row(id)!.value.name === stackName);
  const found = tables.service.ids.value.find((id) => {
    const s = tables.service.row(id)!.value;
    return s.name === name && s.stackId === stackId;
  });
  return found ?? "";
}

function toRules(lb: Record<string, unknown> | null | undefined, lbStackId: string): Rule[] {
  const rules = Array.isArray(lb?.portRules) ? (lb.portRules as Record<string, unknown>[]) : [];
  const text = (v: unknown) => (v === undefined || v === null ? "" : String(v));
  return rules.map((r) => ({
    hostname: text(r.hostname),
    path: text(r.path),
    sourcePort: text(r.sourcePort),
    protocol: text(r.protocol) || "http",
    // A stack from compose files keeps the rule's target by name (the server stores both forms):
    // the form shows, and saves, the service it names.
    serviceId:
      text(r.serviceId) || (typeof r.service === "string" ? serviceIdByName(r.service, lbStackId) : ""),
    targetPort: text(r.targetPort),
  }));
}

function fromRules(rules: Rule[]): Record<string, unknown>[] {
  return rules.map((r) => ({
    ...(r.hostname.trim() ? { hostname: r.hostname.trim() } : {}),
    ...(r.path.trim() ? { path: r.path.trim() } : {}),
    sourcePort: Number(r.sourcePort),
    protocol: r.protocol,
    serviceId: r.serviceId,
    targetPort: Number(r.targetPort),
  }));
}

/**
 * A load balancer's port rules (host, path, source port, protocol, target service and port) and its
 * certificate, saved as the service's `lbConfig`; the server's check of the rules is shown as is.
 */
export function LbRulesPage(props: { projectId: string; id: string }) {
  const svc = tables.service.row(props.id)?.value as
    | (Service & { lbConfig?: Record<string, unknown> })
    | undefined;
  const rules = useSignal<Rule[] | null>(null);
  const cert = useSignal("");
  const certs = useSignal<Resource[]>([]);
  const error = useSignal<string | null>(null);
  useEffect(() => {
    api
      .list<Resource>(projectPath(props.projectId, "certificates"))
      .then((l) => {
        certs.value = l;
      })
      .catch(() => undefined);
  }, [props.projectId]);
  if (!svc)
    return tables.service.loaded.value ? (
      <p>Service {props.id} not found.</p>
    ) : (
      <p aria-busy="true">Loading…</p>
    );
  if (rules.value === null) {
    rules.value = toRules(svc.lbConfig, svc.stackId);
    cert.value = String(svc.lbConfig?.defaultCertificateId ?? "");
  }
  const list = rules.value;
  const targets = tables.service.ids.value
    .map((id) => tables.service.row(id)!.value)
    .filter((s) => s.id !== svc.id);
  const set = (i: number, k: keyof Rule, v: string) => {
    rules.value = list.map((r, j) => (j === i ? { ...r, [k]: v } : r));
  };
  const save = async (e: Event) => {
    e.preventDefault();
    error.value = null;
    try {
      await api.update(svc, {
        lbConfig: {
          ...(svc.lbConfig ?? {}),
          portRules: fromRules(list),
          defaultCertificateId: cert.value || null,
        },
      });
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(svc.stackId)}`);
    } catch (err) {
      error.value = err instanceof Error ? err.message : String(err);
    }
  };
  const input = (i: number, k: keyof Rule, label: string, numeric = false) => (
    <td>
      <input
        aria-label={`Rule ${i + 1} ${label}`}
        value={list[i]![k]}
        inputMode={numeric ? "numeric" : undefined}
        onInput={(e) => set(i, k, (e.currentTarget as HTMLInputElement).value)}
      />
    </td>
  );
  return (
    <>
      <h1>Port rules of {svc.name}</h1>
      <form onSubmit={save} class="stack-form">
        <table class="services">
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">Path</th>
              <th scope="col">Port</th>
              <th scope="col">Protocol</th>
              <th scope="col">Target service</th>
              <th scope="col">Target port</th>
              <th scope="col">
                <span class="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r, i) => (
              // Keyed by place: a rule has no identity of its own.
              <tr key={i}>
                {input(i, "hostname", "host")}
                {input(i, "path", "path")}
                {input(i, "sourcePort", "port", true)}
                <td>
                  <select
                    aria-label={`Rule ${i + 1} protocol`}
                    value={r.protocol}
                    onChange={(e) => set(i, "protocol", (e.currentTarget as HTMLSelectElement).value)}
                  >
                    {protocols.map((p) => (
                      <option key={p}>{p}</option>
                    ))}
                  </select>
                </td>
                <td>
                  <select
                    aria-label={`Rule ${i + 1} target service`}
                    value={r.serviceId}
                    onChange={(e) => set(i, "serviceId", (e.currentTarget as HTMLSelectElement).value)}
                  >
                    <option value="">(choose)</option>
                    {targets.map((t) => (
                      <option key={t.id} value={t.id}>
                        {t.name}
                      </option>
                    ))}
                  </select>
                </td>
                {input(i, "targetPort", "target port", true)}
                <td>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      rules.value = list.filter((_, j) => j !== i);
                    }}
                  >
                    Remove rule {i + 1}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <button
          type="button"
          onClick={() => {
            rules.value = [
              ...list,
              { hostname: "", path: "", sourcePort: "80", protocol: "http", serviceId: "", targetPort: "80" },
            ];
          }}
        >
          Add rule
        </button>
        <div class="field">
          <label for="lb-cert">Certificate (for https and tls rules)</label>
          <select
            id="lb-cert"
            value={cert.value}
            onChange={(e) => {
              cert.value = (e.currentTarget as HTMLSelectElement).value;
            }}
          >
            <option value="">(none)</option>
            {certs.value.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </div>
        {error.value ? (
          <p class="error" role="alert">
            {error.value}
          </p>
        ) : null}
        <button type="submit">Save rules</button>
      </form>
    </>
  );
}
