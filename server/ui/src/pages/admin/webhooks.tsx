import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api, projectPath } from "../../api/client.ts";
import { tables } from "../../api/live.ts";
import type { Resource } from "../../api/types.ts";
import { ErrorLine, message, RemoveButton } from "../../components/feedback.tsx";
import { ListTable } from "../../components/list-table.tsx";
import { ShownOnce } from "../../components/shown-once.tsx";
import { useShownList } from "./common.tsx";

/** A webhook receiver (Rancher's webhook service fields); `url` only in the answer to create. */
interface Receiver extends Resource {
  driver: "scaleService" | "serviceUpgrade";
  scaleServiceConfig: { serviceId: string; action: string; amount: number; min: number; max: number } | null;
  serviceUpgradeConfig: {
    serviceSelector: Record<string, string>;
    tag: string;
    payloadFormat: string;
    batchSize: number;
    intervalMillis: number;
    startFirst: boolean;
  } | null;
  url: string | null;
  lastTriggered: string | null;
  lastResult: string | null;
}

/** What a receiver does, in words. */
function summary(r: Receiver): string {
  const s = r.scaleServiceConfig;
  if (s) {
    const name = tables.service.row(s.serviceId)?.peek().name ?? s.serviceId;
    return `scale ${name} ${s.action} by ${s.amount} (between ${s.min} and ${s.max})`;
  }
  const u = r.serviceUpgradeConfig;
  if (!u) return "";
  const labels = Object.entries(u.serviceSelector).map(([k, v]) => `${k}=${v}`);
  return `upgrade services labelled ${labels.join(", ")} on a push of tag ${u.tag} (${u.payloadFormat})`;
}

/** key=value lines into a map; a line without "=" is refused with its number. */
export function labelLines(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    const at = line.indexOf("=");
    if (at <= 0) throw new Error(`service labels, line ${i + 1}: write key=value`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  });
  return out;
}

/** The trigger URL of a receiver just made: shown this once, with a copy button. */
function NewUrl(props: { receiver: Receiver; onClose: () => void }) {
  const r = props.receiver;
  return (
    <ShownOnce
      label={`Trigger URL of ${r.name}`}
      copy={r.url ?? ""}
      copyLabel="Copy the URL"
      onClose={props.onClose}
    >
      <p>
        <strong>Save the trigger URL now:</strong> it holds the receiver's key and is shown only this once.
        Anyone with it can trigger the receiver with a POST.
      </p>
      <p>
        <code data-testid="trigger-url">{r.url}</code>
      </p>
    </ShownOnce>
  );
}

/** A required whole-number field of the create form, with its label. */
function NumberField(props: { id: string; name: string; label: string; min: number; value: string }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input id={props.id} name={props.name} type="number" min={props.min} value={props.value} required />
    </div>
  );
}

/** The create form's fields for the chosen driver, read into the API's config object. */
function configOf(driver: string, data: FormData): Record<string, unknown> {
  const text = (k: string) => String(data.get(k) ?? "").trim();
  const int = (k: string) => Number.parseInt(text(k), 10);
  if (driver === "scaleService")
    return {
      scaleServiceConfig: {
        serviceId: text("serviceId"),
        action: text("action"),
        amount: int("amount"),
        min: int("min"),
        max: int("max"),
      },
    };
  return {
    serviceUpgradeConfig: {
      serviceSelector: labelLines(String(data.get("selector") ?? "")),
      tag: text("tag"),
      payloadFormat: text("payloadFormat"),
      batchSize: int("batchSize"),
      intervalMillis: int("intervalMillis"),
      startFirst: data.get("startFirst") === "on",
    },
  };
}

/**
 * Webhooks: receivers that scale a service up or down, or upgrade the services with given labels
 * when a registry reports a push; made here with the trigger URL shown once, listed with when they
 * were last called and what came of it, removed.
 */
export function WebhooksPage(props: { projectId: string }) {
  const path = projectPath(props.projectId, "receivers");
  const { list, error, reload } = useShownList<Receiver>(path);
  const fresh = useSignal<Receiver | null>(null);
  const driver = useSignal<"scaleService" | "serviceUpgrade">("scaleService");
  // Another environment's page: the URL of a receiver made in this one is not shown there.
  useEffect(() => {
    fresh.value = null;
  }, [path]);
  const create = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    error.value = null;
    try {
      const body = {
        name: String(data.get("name") ?? "").trim(),
        driver: driver.value,
        ...configOf(driver.value, data),
      };
      fresh.value = await api.create<Receiver>(path, body);
      form.reset();
      driver.value = "scaleService";
      await reload();
    } catch (err) {
      error.value = message(err);
    }
  };
  const services = tables.service.ids.value
    .map((id) => tables.service.row(id)!.value)
    .filter((s) => s.state !== "removed");
  return (
    <>
      <h1>Webhooks</h1>
      {fresh.value ? <NewUrl receiver={fresh.value} onClose={() => (fresh.value = null)} /> : null}
      <ListTable
        list={list.value}
        error={error.value}
        what="receivers"
        columns={["Name", "Does", "Last called", "Result", "Actions"]}
        row={(r) => (
          <tr key={r.id} data-receiver={r.name ?? r.id}>
            <th scope="row">{r.name}</th>
            <td>{summary(r)}</td>
            <td>{r.lastTriggered ? r.lastTriggered.slice(0, 19).replace("T", " ") : "never"}</td>
            <td>{r.lastResult}</td>
            <td>
              <RemoveButton resource={r} what="receiver" onDone={() => void reload()} />
            </td>
          </tr>
        )}
      />
      <p>
        <button type="button" onClick={() => void reload().catch((e) => (error.value = message(e)))}>
          Refresh
        </button>
      </p>
      <h2 id="add-receiver">Add a receiver</h2>
      <form class="stack-form" onSubmit={create} aria-labelledby="add-receiver">
        <div class="field">
          <label for="receiver-name">Name</label>
          <input id="receiver-name" name="name" required autocomplete="off" />
        </div>
        <div class="field">
          <label for="receiver-driver">Kind</label>
          <select
            id="receiver-driver"
            value={driver.value}
            onChange={(e) => {
              driver.value = (e.currentTarget as HTMLSelectElement).value as typeof driver.value;
            }}
          >
            <option value="scaleService">Scale a service</option>
            <option value="serviceUpgrade">Upgrade services on an image push</option>
          </select>
        </div>
        {driver.value === "scaleService" ? (
          <fieldset>
            <legend>Scaling</legend>
            <div class="field">
              <label for="receiver-service">Service</label>
              <select id="receiver-service" name="serviceId" required>
                {services.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name ?? s.id}
                  </option>
                ))}
              </select>
            </div>
            <div class="field">
              <label for="receiver-action">Direction</label>
              <select id="receiver-action" name="action">
                <option value="up">Up</option>
                <option value="down">Down</option>
              </select>
            </div>
            <NumberField
              id="receiver-amount"
              name="amount"
              label="By how many containers"
              min={1}
              value="1"
            />
            <NumberField id="receiver-min" name="min" label="No fewer than" min={0} value="1" />
            <NumberField id="receiver-max" name="max" label="No more than" min={1} value="100" />
          </fieldset>
        ) : (
          <fieldset>
            <legend>Upgrade</legend>
            <div class="field">
              <label for="receiver-selector">Services with these labels (key=value, one a line)</label>
              <textarea id="receiver-selector" name="selector" rows={2} required spellcheck={false} />
            </div>
            <div class="field">
              <label for="receiver-tag">On a push of tag</label>
              <input id="receiver-tag" name="tag" required placeholder="latest" />
            </div>
            <div class="field">
              <label for="receiver-format">Sent by</label>
              <select id="receiver-format" name="payloadFormat">
                <option value="dockerhub">Docker Hub</option>
                <option value="registry">A registry (Registry v2 notifications)</option>
              </select>
            </div>
            <NumberField
              id="receiver-batch"
              name="batchSize"
              label="Containers at a time"
              min={1}
              value="1"
            />
            <NumberField
              id="receiver-interval"
              name="intervalMillis"
              label="Between batches (ms)"
              min={0}
              value="2000"
            />
            <label>
              <input type="checkbox" name="startFirst" /> Start the new container before stopping the old
            </label>
          </fieldset>
        )}
        <ErrorLine text={error.value} />
        <button type="submit">Add receiver</button>
      </form>
    </>
  );
}
