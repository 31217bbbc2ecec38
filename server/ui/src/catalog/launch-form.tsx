/** The launch form of a template version: the stack's name and the version's questions. */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ApiError } from "../api/client.ts";
import { tables } from "../api/live.ts";
import { navigate } from "../router.ts";
import { answersToSend, initialAnswers } from "./answers.ts";
import { answerErrors, launchStack, type TemplateVersion } from "./api.ts";
import { certificateNames, serviceNames } from "./names.ts";
import { QuestionFields } from "./question-fields.tsx";

/** Where a refused request's message goes: per question, or above the form. */
export interface Refusal {
  message: string | null;
  fields: Record<string, string>;
}

/** Splits an error into the message above the form and the per-question messages. */
export function refusal(e: unknown): Refusal {
  if (e instanceof ApiError) {
    const fields = answerErrors(e.detail);
    return { message: Object.keys(fields).length > 0 ? "Some answers need fixing." : e.message, fields };
  }
  return { message: e instanceof Error ? e.message : String(e), fields: {} };
}

/** The certificates of the environment, loaded once per form. */
export function useCertificates(projectId: string) {
  const certs = useSignal<string[]>([]);
  useEffect(() => {
    certificateNames(projectId)
      .then((c) => {
        certs.value = c;
      })
      .catch(() => undefined);
  }, [projectId]);
  return certs.value;
}

/** Launches a stack from `version`; on success goes to the new stack's page. */
export function LaunchForm(props: { projectId: string; version: TemplateVersion; defaultName: string }) {
  const { version } = props;
  const answers = useSignal(initialAnswers(version.questions));
  const name = useSignal(props.defaultName);
  const failed = useSignal<Refusal>({ message: null, fields: {} });
  const busy = useSignal(false);
  const certificates = useCertificates(props.projectId);
  const submit = async (e: Event) => {
    e.preventDefault();
    busy.value = true;
    failed.value = { message: null, fields: {} };
    try {
      const stack = await launchStack(
        props.projectId,
        name.value.trim(),
        version,
        answersToSend(version.questions, answers.value, false),
      );
      tables.stack.upsert(stack);
      navigate(`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(stack.id)}`);
    } catch (err) {
      failed.value = refusal(err);
    } finally {
      busy.value = false;
    }
  };
  return (
    <form class="stack-form" onSubmit={submit} noValidate aria-label={`Launch ${version.version}`}>
      <div class="field">
        <label for="stack-name">Stack name</label>
        <input
          id="stack-name"
          value={name.value}
          required
          onInput={(e) => {
            name.value = (e.currentTarget as HTMLInputElement).value;
          }}
        />
      </div>
      <QuestionFields
        questions={version.questions}
        ctx={{ answers, errors: failed.value.fields, services: serviceNames(), certificates }}
      />
      {failed.value.message ? (
        <p class="error" role="alert">
          {failed.value.message}
        </p>
      ) : null}
      <button type="submit" class="button" disabled={busy.value || !version.compatible}>
        Launch
      </button>
    </form>
  );
}
