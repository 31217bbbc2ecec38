/**
 * A catalog repository of our own in Rancher's layout, written into a git repository, and a real
 * `git daemon` serving it on a free loopback port. It covers every question type, `.tpl` files with
 * each template construct, infra templates, versions chained by `upgrade_from`, a version too new
 * for this server, and broken templates (bad YAML, no version folder, bad version folder).
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: compose files carry ${VAR} for interpolation
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { execa } from "execa";

/** The image every template runs (built locally by scripts/host-setup.sh). */
export const catalogImage = "corral/busybox:latest";
const run = `command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]`;

function compose(services: Record<string, string>): string {
  return `version: '2'\nservices:\n${Object.entries(services)
    .map(([name, extra]) => `  ${name}:\n    image: ${catalogImage}\n    ${run}\n${extra}`)
    .join("")}`;
}

function rc(block: string): string {
  return `version: '2'\ncatalog:\n${block}\nservices: {}\n`;
}

/** The files of the test catalog, by path in the repository. */
export function testCatalogFiles(): Record<string, string> {
  const f: Record<string, string> = {};
  const cfg = (t: string, extra = "") =>
    (f[`templates/${t}/config.yml`] =
      `name: ${t}\ndescription: ${t} for tests\nversion: ${extra || "1.0.0"}\ncategory: Test\nmaintainer: Corral\nlicense: Apache-2.0\nprojectURL: https://example.invalid/${t}\n`);
  // wordpress: three versions; 2 accepts upgrades from 1.x only, 3 from >=2.0.0.
  cfg("wordpress", "2.0.0");
  f["templates/wordpress/catalogIcon-wordpress.svg"] =
    `<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>`;
  const wpQuestions = `  questions:
    - variable: db_password
      label: Database password
      type: password
      required: true
    - variable: public_port
      label: Port
      type: int
      default: 8080
      min: 1
      max: 65535`;
  f["templates/wordpress/0/docker-compose.yml"] = compose({
    web: "    environment:\n      DB_PASSWORD: ${db_password}\n      PORT: '${public_port}'\n    labels:\n      rev: '0'\n",
  });
  f["templates/wordpress/0/rancher-compose.yml"] = rc(`  name: wordpress\n  version: 1.0.0\n${wpQuestions}`);
  f["templates/wordpress/0/README.md"] = "# WordPress\n\nFor tests.\n";
  f["templates/wordpress/1/docker-compose.yml"] = compose({
    web: "    environment:\n      DB_PASSWORD: ${db_password}\n      PORT: '${public_port}'\n      TITLE: ${site_title}\n    labels:\n      rev: '1'\n",
  });
  f["templates/wordpress/1/rancher-compose.yml"] = rc(
    `  name: wordpress\n  version: 2.0.0\n  upgrade_from: ">=1.0.0 <2.0.0"\n${wpQuestions}\n    - variable: site_title\n      type: string\n      default: Corral\n      max_length: 40`,
  );
  // redis: a plain `${VAR}` file and a version that needs a newer Rancher than this one claims.
  cfg("redis");
  f["templates/redis/0/docker-compose.yml"] = compose({
    redis: "    labels:\n      maxmemory: ${maxmemory}\n",
  });
  f["templates/redis/0/rancher-compose.yml"] = rc(
    `  version: 1.0.0\n  questions:\n    - variable: maxmemory\n      type: enum\n      options: [64mb, 128mb]\n      default: 64mb`,
  );
  f["templates/redis/1/docker-compose.yml"] = compose({ redis: "" });
  f["templates/redis/1/rancher-compose.yml"] = rc(`  version: 9.0.0\n  minimum_rancher_version: v2.0.0`);
  // every question type in one version.
  cfg("all-questions");
  f["templates/all-questions/0/docker-compose.yml"] = compose({
    app: "    labels:\n      s: ${s}\n      i: '${i}'\n      b: '${b}'\n      e: ${e}\n      m: ${m}\n      svc: ${svc}\n      cert: ${cert}\n      d: '${d}'\n      f: '${f}'\n",
  });
  f["templates/all-questions/0/rancher-compose.yml"] = rc(`  version: 1.0.0
  questions:
    - {variable: s, type: string, required: true, min_length: 2, max_length: 10, valid_chars: "a-z", group: Basics, description: A string}
    - {variable: i, type: int, default: 3, min: 1, max: 10}
    - {variable: b, type: boolean, default: "true"}
    - {variable: e, type: enum, options: [one, two], default: one}
    - {variable: p, type: password}
    - {variable: m, type: multiline, default: "x"}
    - {variable: svc, type: service}
    - {variable: cert, type: certificate}
    - {variable: d, type: date, default: "2026-01-01"}
    - {variable: f, type: float, default: "1.5", min: 0, max: 2}
    - {variable: bad, type: string, invalid_chars: "!", default: ok}`);
  // a .tpl using each construct of the interpreter.
  cfg("tpl-all");
  f["templates/tpl-all/0/docker-compose.yml.tpl"] = `version: '2'
services:
  {{ .Stack.Name }}-app:
    image: ${catalogImage}
    ${run}
    labels:
{{- if eq .Values.mode "fast" }}
      mode: fast
{{- else if eq .Values.mode "slow" }}
      mode: slow
{{- else }}
      mode: other
{{- end }}
{{- if and .Values.a (not .Values.b) }}
      ab: a-not-b
{{- end }}
{{- if or (ne .Values.mode "x") (lt 1 2) (gt 2 1) }}
      cmp: ok
{{- end }}
{{- with .Values.title }}
      title: {{ . | upper | quote }}
{{- end }}
{{- range $i, $n := splitList "," .Values.names }}
      name{{ $i }}: {{ trim $n }}
{{- end }}
`;
  f["templates/tpl-all/0/rancher-compose.yml"] = rc(`  version: 1.0.0
  questions:
    - {variable: mode, type: enum, options: [fast, slow, other], default: fast}
    - {variable: a, type: boolean, default: "true"}
    - {variable: b, type: boolean, default: "false"}
    - {variable: title, type: string, default: hello}
    - {variable: names, type: string, default: "x, y"}`);
  // simple ones to make a dozen, with categories and a multi-service stack.
  for (const t of ["nginx", "multi", "minimal"]) {
    cfg(t);
    f[`templates/${t}/0/docker-compose.yml`] = compose(t === "multi" ? { a: "", b: "" } : { [t]: "" });
  }
  f["templates/nginx/0/rancher-compose.yml"] = rc("  version: 1.0.0");
  // infra templates.
  for (const t of ["network-services", "healthcheck"]) {
    f[`infra-templates/${t}/config.yml`] = `name: ${t}\nversion: 1.0.0\ncategory: Infrastructure\n`;
    f[`infra-templates/${t}/0/docker-compose.yml`] = compose({ [t]: "" });
  }
  // broken: bad YAML, no version folder, a version without compose file (beside a good one).
  f["templates/broken-yaml/config.yml"] = "name: [unclosed\n";
  f["templates/broken-yaml/0/docker-compose.yml"] = compose({ x: "" });
  f["templates/no-versions/config.yml"] = "name: no-versions\n";
  cfg("half-broken");
  f["templates/half-broken/0/docker-compose.yml"] = compose({ x: "" });
  f["templates/half-broken/1/rancher-compose.yml"] = "catalog: {version: 2.0.0}\n";
  return f;
}

/** Writes files into `dir` and commits them on `master` (a new repository when none exists). */
export async function commitFiles(
  dir: string,
  files: Record<string, string>,
  message: string,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const git = (...args: string[]) =>
    execa("git", ["-C", dir, "-c", "user.name=test", "-c", "user.email=test@example.invalid", ...args]);
  await execa("git", ["init", "-q", "-b", "master", dir]);
  await git("add", "-A");
  await git("commit", "-q", "--allow-empty", "-m", message);
}

/** A running `git daemon` exporting every repository under `base`. */
export interface GitDaemon {
  /** `git://127.0.0.1:<port>/` */
  url: string;
  stop(): Promise<void>;
}

/** Starts `git daemon` on a free loopback port and waits until it accepts connections. */
export async function startGitDaemon(base: string): Promise<GitDaemon> {
  for (let attempt = 0; ; attempt++) {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const proc = Bun.spawn(
      [
        "git",
        "daemon",
        "--reuseaddr",
        "--export-all",
        `--base-path=${base}`,
        "--listen=127.0.0.1",
        `--port=${port}`,
        base,
      ],
      { stdout: "ignore", stderr: "pipe" },
    );
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && proc.exitCode === null) {
      const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
        .then((s) => {
          s.end();
          return true;
        })
        .catch(() => false);
      if (ok)
        return {
          url: `git://127.0.0.1:${port}/`,
          async stop() {
            proc.kill();
            await proc.exited;
          },
        };
      await Bun.sleep(50);
    }
    proc.kill();
    await proc.exited;
    if (attempt >= 3) throw new Error(`git daemon did not start: ${await new Response(proc.stderr).text()}`);
  }
}
