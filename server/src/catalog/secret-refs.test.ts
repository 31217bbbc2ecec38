// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected texts carry ${VAR} references
import { describe, expect, test } from "bun:test";
import { AppError } from "@corral/lib";
import { referSecrets, renderWithSecretRefs } from "./secret-refs.ts";

const secrets = new Set(["pw", "empty"]);
const render = (source: string, values: Record<string, string>) =>
  renderWithSecretRefs("f.tpl", source, values, secrets, "st");

describe("renderWithSecretRefs", () => {
  test("inserted passwords become references; other answers, tests and empty passwords stay", () => {
    expect(
      render(
        'a: {{ .Values.pw }}\nb: {{ .Values.pw | quote }}\nc: "x{{ .Values.pw }}y"\n{{ if .Values.pw }}d: on{{ end }}\n{{ if .Values.empty }}e: on{{ end }}\nf: {{ .Values.name }}-{{ .Stack.Name }}',
        { pw: "s3cret", empty: "", name: "n" },
      ),
    ).toBe('a: ${pw}\nb: "${pw}"\nc: "x${pw}y"\nd: on\n\nf: n-st');
  });

  test("a password measured, compared or changed is refused, naming it and the file", () => {
    for (const source of [
      "n: {{ len .Values.pw }}",
      "u: {{ .Values.pw | upper }}",
      "b: {{ b64enc .Values.pw }}",
      '{{ if eq .Values.pw "s3cret" }}x: y{{ end }}',
      // quote escapes a `"` in the value, which a reference inside quotes would not need.
      "q: {{ .Values.pw | quote }}",
    ]) {
      const values = { pw: source.startsWith("q:") ? 'has"quote' : "s3cret" };
      let error: unknown;
      try {
        render(source, values);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).status).toBe(422);
      expect((error as Error).message).toStartWith(
        "f.tpl: the password answer pw is used other than inserted",
      );
      expect((error as Error).message).not.toContain(values.pw);
    }
  });

  test("each password used so is named", () => {
    expect(() => render("n: {{ len .Values.pw }}{{ len .Values.empty }}", { pw: "a1", empty: "b2" })).toThrow(
      "f.tpl: the password answers pw, empty are used other than inserted",
    );
  });

  test("a comparison that does not change the text is accepted", () => {
    expect(render('{{ if eq .Values.pw "other" }}x{{ end }}p: {{ .Values.pw }}', { pw: "s3cret" })).toBe(
      "p: ${pw}",
    );
  });

  test("a password whose name no reference can spell is refused only when inserted", () => {
    const dashed = new Set(["db-pw"]);
    const src = '{{ if index .Values "db-pw" }}set: yes{{ end }}';
    expect(renderWithSecretRefs("f.tpl", src, { "db-pw": "s3cret" }, dashed, "st")).toBe("set: yes");
    expect(() =>
      renderWithSecretRefs("f.tpl", 'p: {{ index .Values "db-pw" }}', { "db-pw": "s3cret" }, dashed, "st"),
    ).toThrow("db-pw cannot be inserted as a ${db-pw} reference");
  });
});

describe("referSecrets", () => {
  const ref = (k: string) => `<${k}>`;

  test("long values are replaced inside strings, longest first; short ones only as whole strings", () => {
    const node = {
      name: "s3cret-long",
      environment: { A: "s3cret-long", B: "url://u:s3cret@h", C: "ab", D: "abc-ab" },
      command: ["x", "s3cret"],
      port: 8080,
    };
    expect(referSecrets(node, { long: "s3cret-long", pw: "s3cret", short: "ab", none: "" }, ref)).toEqual({
      name: "s3cret-long",
      environment: { A: "<long>", B: "url://u:<pw>@h", C: "<short>", D: "abc-ab" },
      command: ["x", "<pw>"],
      port: 8080,
    });
  });
});
