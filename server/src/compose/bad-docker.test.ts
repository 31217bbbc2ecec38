// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are compose files, where ${VAR} is the syntax under test
import { describe } from "bun:test";
import { type Case, D, runCases, svc } from "../../testing/compose-support.ts";

const cases: Case[] = [
  {
    name: "YAML syntax error",
    docker: "services:\n  web:\n    image: [nginx\n",
    at: `${D}:4:1`,
    reason: "YAML syntax",
  },
  {
    name: "bad indentation",
    docker: "services:\n  web:\n    image: a\n   ports: []\n",
    at: `${D}:4:1`,
    reason: "All mapping items must start at the same column",
  },
  {
    name: "top level is a list",
    docker: "- web\n- db\n",
    at: `${D}:1:1`,
    reason: "must be a mapping of services, not a list",
  },
  { name: "top level is a string", docker: "hello\n", at: `${D}:1:1`, reason: "not a string" },
  {
    name: "several documents",
    docker: "services: {}\n---\nservices: {}\n",
    at: `${D}:2:1`,
    reason: "only one YAML document",
  },
  {
    name: "unknown version",
    docker: 'version: "7"\nservices: {}\n',
    at: `${D}:1:10`,
    reason: 'unsupported compose version "7"',
  },
  {
    name: "unknown top-level key",
    docker: "services: {}\nservice: {}\n",
    at: `${D}:2:1`,
    reason: 'unknown top-level key "service"',
  },
  {
    name: "ports as a map",
    docker: svc("    ports:\n      http: 80\n"),
    at: `${D}:5:7`,
    reason: "must be a list, not a mapping",
  },
  {
    name: "port out of range",
    docker: svc('    ports: ["99999:80"]\n'),
    at: `${D}:4:13`,
    reason: "invalid port",
  },
  {
    name: "port range mismatch",
    docker: svc('    ports: ["8000-8002:80-81"]\n'),
    at: `${D}:4:13`,
    reason: "ranges differ",
  },
  {
    name: "scale not a number",
    docker: svc("    scale: x\n"),
    at: `${D}:4:12`,
    reason: 'must be an integer, not "x"',
  },
  {
    name: "unknown service key",
    docker: svc("    imagee: nginx\n"),
    at: `${D}:4:5`,
    reason: 'unknown key "imagee"',
  },
  {
    name: "missing image",
    docker: "services:\n  web:\n    ports: ['80']\n",
    at: `${D}:2:3`,
    reason: "has no image",
  },
  {
    name: "build",
    docker: "services:\n  web:\n    build: .\n",
    at: `${D}:3:5`,
    reason: "images cannot be built here; use image",
  },
  {
    name: "env_file",
    docker: svc("    env_file: .env\n"),
    at: `${D}:4:5`,
    reason: "files are not available",
  },
  {
    name: "link to unknown",
    docker: svc("    links: [db]\n"),
    at: `${D}:4:13`,
    reason: 'unknown service "db"',
  },
  {
    name: "depends_on unknown",
    docker: svc("    depends_on:\n      - cache\n"),
    at: `${D}:5:9`,
    reason: 'unknown service "cache"',
  },
  {
    name: "volumes_from unknown",
    docker: svc("    volumes_from: [data]\n"),
    at: `${D}:4:20`,
    reason: 'unknown service "data"',
  },
  {
    name: "cycle",
    docker:
      "services:\n  a:\n    image: x\n    links: [b]\n  b:\n    image: x\n    depends_on: [c]\n  c:\n    image: x\n    volumes_from: [a]\n",
    at: `${D}:10:20`,
    reason: "dependency cycle: a -> b -> c -> a",
  },
  {
    name: "duplicate service",
    docker: "services:\n  web:\n    image: a\n  web:\n    image: b\n",
    at: `${D}:4:3`,
    reason: 'duplicate key "web"',
  },
  {
    name: "invalid service name",
    docker: "services:\n  Web_1:\n    image: a\n",
    at: `${D}:2:3`,
    reason: 'invalid service name "Web_1"',
  },
  {
    name: "restart value",
    docker: svc("    restart: sometimes\n"),
    at: `${D}:4:14`,
    reason: "restart must be",
  },
  { name: "memory size", docker: svc("    mem_limit: lots\n"), at: `${D}:4:16`, reason: "must be a size" },
  {
    name: "duration",
    docker: svc("    stop_grace_period: soon\n"),
    at: `${D}:4:24`,
    reason: "must be a duration",
  },
  {
    name: "relative volume target",
    docker: svc("    volumes: ['data:var/lib']\n"),
    at: `${D}:4:15`,
    reason: "must be absolute",
  },
  {
    name: "required variable",
    docker: svc("    environment:\n      PW: ${PW:?set a password}\n"),
    at: `${D}:5:11`,
    reason: "required variable PW is not set: set a password",
  },
  {
    name: "bad interpolation",
    docker: svc('    command: "echo $1"\n'),
    at: `${D}:4:14`,
    reason: "invalid interpolation format",
  },
  {
    name: "unclosed interpolation",
    docker: svc('    command: "echo ${A"\n'),
    at: `${D}:4:14`,
    reason: "invalid interpolation format",
  },
  {
    name: "sidekick missing",
    docker: svc("    labels:\n      io.rancher.sidekicks: helper\n"),
    at: `${D}:5:29`,
    reason: "sidekick helper of web is not a service",
  },
  {
    name: "sidekick claimed twice",
    docker:
      "services:\n  a:\n    image: x\n    labels: {io.rancher.sidekicks: s}\n  b:\n    image: x\n    labels: {io.rancher.sidekicks: s}\n  s:\n    image: x\n",
    at: `${D}:7:36`,
    reason: "claimed by both a and b",
  },
  {
    name: "network of another unit",
    docker: `${svc("    network_mode: container:db\n")}  db:\n    image: x\n`,
    at: `${D}:4:19`,
    reason: "not in the same unit",
  },
  {
    name: "network_mode unknown",
    docker: svc("    network_mode: overlay1\n"),
    at: `${D}:4:19`,
    reason: "unsupported network_mode",
  },
  {
    name: "deploy mode",
    docker: svc("    deploy:\n      mode: everywhere\n"),
    at: `${D}:5:13`,
    reason: "mode must be replicated or global",
  },
  {
    name: "long port without target",
    docker: svc("    ports:\n      - published: 80\n"),
    at: `${D}:5:9`,
    reason: "needs a target",
  },
  {
    name: "merge of a scalar",
    docker: "x: &a 5\nservices:\n  web:\n    <<: *a\n    image: n\n",
    at: `${D}:4:5`,
    reason: "merge key << needs a mapping",
  },
  {
    name: "unknown alias",
    docker: "services:\n  web:\n    image: *nope\n",
    at: `${D}:3:12`,
    reason: "unknown alias *nope",
  },
  { name: "link to itself", docker: svc("    links: [web]\n"), at: `${D}:4:13`, reason: "web -> web" },
  {
    name: "v1 service not a mapping",
    docker: "web: nginx\n",
    at: `${D}:1:6`,
    reason: "service web must be a mapping",
  },
  { name: "tab indentation", docker: "services:\n\tweb:\n", at: `${D}:2:1`, reason: "Tabs are not allowed" },
  {
    name: "services as a list",
    docker: "services: [a]\n",
    at: `${D}:1:11`,
    reason: "must be a mapping of services",
  },
];

describe("bad docker-compose.yml", () => runCases(cases));
