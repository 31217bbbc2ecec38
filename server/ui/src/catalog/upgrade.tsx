/**
 * Upgrades a catalog stack to a newer version: the versions it may go to, the new version's
 * questions prefilled with the kept answers (passwords stay on the server and are never shown back),
 * new questions with their defaults. Finish or roll back on the stack's page afterwards.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { api } from "../api/client.ts";
import { tables } from "../api/live.ts";
import { Link } from "../components/link.tsx";
import { navigate } from "../router.ts";
import { answersToSend, initialAnswers } from "./answers.ts";
import { type CatalogStack, getVersion, type TemplateVersion } from "./api.ts";
import { type Refusal, refusal, useCertificates } from "./launch-form.tsx";
import { serviceNames } from "./names.ts";
import { QuestionFields } from "./question-fields.tsx";

function UpgradeForm(props: { projectId: string; stack: CatalogStack; version: TemplateVersion }) {
  const { stack, version } = props;
  const answers = useSignal(initialAnswers(version.questions, stack.environment ?? {}));
  const failed = useSignal<Refusal>({ message: null, fields: {} });
  const busy = useSignal(false);
  const certificates = useCertificates(props.projectId);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    failed.value = { message: null, fields: {} };
    try {
      await api.action(stack, "upgrade", {
        externalId: `catalog://${version.id}`,
        answers: answersToSend(version.questions, answers.value, true),
      });
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`);
    } catch (err) {
      failed.value = refusal(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <form class="stack-form" onSubmit={submit} noValidate aria-label={`Upgrade to ${version.version}`}>
      <QuestionFields
        questions={version.questions}
        ctx={{
          answers,
          errors: failed.value.fields,
          services: serviceNames(),
          certificates,
          keepPasswords: true,
        }}
      />
      {failed.value.message ? (
        <p class="error" role="alert">
          {failed.value.message}
        </p>
      ) : null}
      <button type="submit" class="button" disabled={busy.value || !stack.actions.upgrade}>
        Upgrade to {version.version}
      </button>
    </form>
  );
}

/** The catalog upgrade page of stack `id`. */
export function CatalogUpgradePage(props: { projectId: string; id: string }) {
  const stack = tables.stack.row(props.id)?.value as CatalogStack | undefined;
  const target = useSignal<string>("");
  const version = useSignal<TemplateVersion | null>(null);
  const error = useSignal<string | null>(null);
  const targets = Object.entries(stack?.upgradeVersions ?? {});
  const wanted = target.value || targets.at(-1)?.[1] || "";
  useEffect(() => {
    if (!wanted) return;
    version.value = null;
    getVersion(wanted.replace(/^catalog:\/\//, ""))
      .then((v) => {
        version.value = v;
      })
      .catch((e: Error) => {
        error.value = e.message;
      });
  }, [wanted]);
  if (!stack)
    return tables.stack.loaded.value ? <p>Stack {props.id} not found.</p> : <p aria-busy="true">Loading…</p>;
  const stackPage = `/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`;
  return (
    <>
      <h1>Upgrade stack {stack.name}</h1>
      <p>
        From <code>{stack.externalId}</code>. <Link href={stackPage}>Back to the stack</Link>
      </p>
      {targets.length === 0 ? (
        <p>No newer version of its template can upgrade this stack.</p>
      ) : (
        <>
          <div class="filters">
            <label>
              Version
              <select
                value={wanted}
                onChange={(e) => {
                  target.value = (e.currentTarget as HTMLSelectElement).value;
                }}
              >
                {targets.map(([v, id]) => (
                  <option key={id} value={id}>
                    {v}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {error.value ? (
            <p class="error" role="alert">
              {error.value}
            </p>
          ) : null}
          {version.value ? (
            <UpgradeForm
              key={version.value.id}
              projectId={props.projectId}
              stack={stack}
              version={version.value}
            />
          ) : error.value ? null : (
            <p aria-busy="true">Loading…</p>
          )}
        </>
      )}
    </>
  );
}
