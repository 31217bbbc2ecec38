import { chmodSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClientMaterial } from "../engines/docker-tls.ts";
import { callInit } from "../init/control-socket.ts";
import { type CliIo, failing, usageError } from "./cli-io.ts";

const usage = `usage: corral tls gen [--server] [-H HOSTNAME]... [-d DIR]

  gen                 a client certificate for User Docker's TLS port (:2376), signed by the
                      machine's Docker CA, written to DIR (default ~/.docker) as ca.pem, cert.pem
                      and key.pem: then docker --tlsverify -H tcp://HOST:2376 ...
  gen --server        User Docker's server certificate (and the CA, the first time) for this
                      machine's name, localhost, 127.0.0.1 and each -H HOSTNAME, in
                      /var/lib/corral/docker-tls; corral config set corral.docker.tls true
                      then makes User Docker listen on :2376 with --tlsverify
`;

/** `corral tls gen` arguments. */
export interface TlsArgs {
  server: boolean;
  hosts: string[];
  dir?: string;
}

/** Parses `gen [--server] [-H HOST]... [-d DIR]`; throws with the usage problem. */
export function parseTlsArgs(rest: string[]): TlsArgs {
  const out: TlsArgs = { server: false, hosts: [] };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === "--server" || a === "-s") out.server = true;
    else if (a === "-H" || a === "--hostname") {
      const h = rest[++i];
      if (!h) throw new Error(`${a} takes a HOSTNAME`);
      out.hosts.push(h);
    } else if (a === "-d" || a === "--dir") {
      out.dir = rest[++i];
      if (!out.dir) throw new Error(`${a} takes a DIR`);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (out.server && out.dir)
    throw new Error("-d is where client certificates go; the server's are User Docker's");
  if (!out.server && out.hosts.length > 0) throw new Error("-H goes with --server");
  return out;
}

/** Writes a client's material as Docker's CLI reads it (key 0600, folder 0700). */
export function writeClientMaterial(dir: string, m: ClientMaterial): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files: [string, string, number][] = [
    ["ca.pem", m.ca, 0o644],
    ["cert.pem", m.cert, 0o644],
    ["key.pem", m.key, 0o600],
  ];
  return files.map(([name, text, mode]) => {
    const f = join(dir, name);
    writeFileSync(`${f}.tmp`, text, { mode });
    chmodSync(`${f}.tmp`, mode);
    renameSync(`${f}.tmp`, f);
    return f;
  });
}

/** `corral tls ...` */
export async function tlsCommand(argv: string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === "--help" || cmd === "-h" || cmd === "help") {
    io.out(usage);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd !== "gen") return usageError(io, `unknown tls command '${cmd}'`, usage);
  let args: TlsArgs;
  try {
    args = parseTlsArgs(rest);
  } catch (e) {
    return usageError(io, `tls gen: ${(e as Error).message}`, usage);
  }
  return failing(io, async () => {
    if (args.server) {
      const done = (await callInit(io.initSocket, "POST", "/tls/gen", {
        server: true,
        hosts: args.hosts,
      })) as {
        files: string[];
      };
      io.out(`${done.files.join("\n")}\n`);
      return 0;
    }
    const dir = args.dir ?? join(process.env.HOME || "/home/corral", ".docker");
    const m = (await callInit(io.initSocket, "POST", "/tls/gen", { server: false })) as ClientMaterial;
    io.out(`${writeClientMaterial(dir, m).join("\n")}\n`);
    return 0;
  });
}
