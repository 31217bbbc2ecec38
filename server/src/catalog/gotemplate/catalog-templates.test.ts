import { describe, expect, test } from "bun:test";
import { renderTemplate, TemplateError } from "./index.ts";

// Shaped like Rancher 1.6 community-catalog docker-compose.yml.tpl files.
const compose = `version: '2'
services:
  {{- if eq .Values.ENABLE_DB "true" }}
  db:
    image: postgres:{{ .Values.PG_VERSION | default "9.6" }}
    environment:
      POSTGRES_PASSWORD: {{ .Values.DB_PASSWORD | quote }}
  {{- end }}
  app:
    image: example/app:{{ .Stack.Version }}
    labels:
      io.rancher.container.pull_image: always
      {{- if .Values.HOST_LABEL }}
      io.rancher.scheduler.affinity:host_label: {{ .Values.HOST_LABEL }}
      {{- end }}
    environment:
      STACK: {{ .Stack.Name }}
      {{- range $i, $peer := splitList "," .Values.PEERS }}
      PEER_{{ $i }}: {{ trim $peer }}
      {{- end }}
    {{- if .Values.PORTS }}
    ports:
    {{- range $p := split "," .Values.PORTS }}
      - "{{ $p }}"
    {{- end }}
    {{- end }}
`;

describe("catalog-style templates", () => {
  test("compose file with if blocks, range over split and defaults", () => {
    const out = renderTemplate("docker-compose.yml.tpl", compose, {
      Values: {
        ENABLE_DB: "true",
        DB_PASSWORD: 's3"cret',
        HOST_LABEL: "",
        PEERS: "a, b ,c",
        PORTS: "80:80,443:443",
      },
      Stack: { Name: "shop", Version: "v3" },
    });
    expect(out).toBe(`version: '2'
services:
  db:
    image: postgres:9.6
    environment:
      POSTGRES_PASSWORD: "s3\\"cret"
  app:
    image: example/app:v3
    labels:
      io.rancher.container.pull_image: always
    environment:
      STACK: shop
      PEER_0: a
      PEER_1: b
      PEER_2: c
    ports:
      - "80:80"
      - "443:443"
`);
  });

  test("same template with the database off and no ports", () => {
    const out = renderTemplate("docker-compose.yml.tpl", compose, {
      Values: { ENABLE_DB: "false", HOST_LABEL: "zone=a", PEERS: "x", PORTS: "" },
      Stack: { Name: "s", Version: "v1" },
    });
    expect(out).toBe(`version: '2'
services:
  app:
    image: example/app:v1
    labels:
      io.rancher.container.pull_image: always
      io.rancher.scheduler.affinity:host_label: zone=a
    environment:
      STACK: s
      PEER_0: x
`);
  });

  test("rancher-compose scale from an answer and a missing answer", () => {
    const tpl = `.catalog:
  version: {{ .Stack.Version }}
services:
  app:
    scale: {{ .Values.SCALE }}
    {{- with .Values.HEALTH_PORT }}
    health_check:
      port: {{ . }}
    {{- end }}
    # {{ .Values.NOT_ASKED }}
`;
    const out = renderTemplate("rancher-compose.yml.tpl", tpl, {
      Values: { SCALE: "3", HEALTH_PORT: "8080" },
      Stack: { Version: "2" },
    });
    expect(out).toBe(
      ".catalog:\n  version: 2\nservices:\n  app:\n    scale: 3\n    health_check:\n      port: 8080\n    # <no value>\n",
    );
  });

  test("an if chain choosing a config by enum answer", () => {
    const tpl = `{{- if eq .Values.MODE "cluster" -}}
replicas: {{ atoi .Values.NODES | add 1 }}
{{- else if eq .Values.MODE "single" -}}
replicas: 1
{{- else -}}
replicas: 0 # unknown mode {{ .Values.MODE | printf "%q" }}
{{- end }}`;
    const run = (MODE: string) => renderTemplate("t", tpl, { Values: { MODE, NODES: "4" } });
    expect(run("cluster")).toBe("replicas: 5");
    expect(run("single")).toBe("replicas: 1");
    expect(run("odd")).toBe('replicas: 0 # unknown mode "odd"');
  });
});

describe("bounds for templates from users' repositories", () => {
  const fails = (tpl: string, what: RegExp) => {
    let err: unknown;
    try {
      renderTemplate("t", tpl, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(what);
  };

  test("output over 1 MiB stops with a clear error", () => {
    fails("{{ range 100000 }}{{ repeat 100 `x` }}{{ end }}", /output larger than 1048576 characters/);
  });

  test("a string doubled in a loop stops before it eats memory", () => {
    fails('{{ $x := "ab" }}{{ range 60 }}{{ $x = print $x $x }}{{ end }}', /print made a value larger than/);
    fails("{{ repeat 100000000 `xy` }}", /error calling repeat: result larger than/);
  });

  test("endless work stops at the step limit", () => {
    fails("{{ range 3000000 }}{{ end }}", /template too complex: more than 1000000 steps/);
    fails("{{ range 2000 }}{{ range 2000 }}{{ end }}{{ end }}", /template too complex/);
  });

  test("self-recursive templates and deep nesting stop", () => {
    fails(
      '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" }}',
      /exceeded maximum template depth/,
    );
    fails(`{{ ${"(".repeat(150)}1${")".repeat(150)} }}`, /nesting deeper than 100/);
    fails(`${"{{ if true }}".repeat(150)}${"{{ end }}".repeat(150)}`, /nesting deeper than 100/);
  });

  test("prototype fields are not reachable", () => {
    expect(renderTemplate("t", "{{ .constructor }}|{{ .__proto__ }}|{{ index . `toString` }}", {})).toBe(
      "<no value>|<no value>|<no value>",
    );
  });
});
