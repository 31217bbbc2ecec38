import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";

/** A certificate and key made by openssl for tests. */
export interface TestPem {
  cert: string;
  key: string;
}

/** Makes a self-signed certificate with openssl; `expired` backdates it (needs `-not_after`, OpenSSL 3). */
export function opensslPem(cn: string, options: { ec?: boolean; days?: number } = {}): TestPem {
  const out = execaSync("openssl", [
    "req",
    "-x509",
    "-newkey",
    options.ec ? "ec" : "rsa:2048",
    ...(options.ec ? ["-pkeyopt", "ec_paramgen_curve:prime256v1"] : []),
    "-nodes",
    "-keyout",
    "-",
    "-out",
    "-",
    "-days",
    String(options.days ?? 30),
    "-subj",
    `/CN=${cn}`,
    "-addext",
    `subjectAltName=DNS:${cn},DNS:www.${cn}`,
  ]).stdout;
  return {
    key: /-----BEGIN PRIVATE KEY-----[\s\S]*?-----END PRIVATE KEY-----/.exec(out)![0],
    cert: /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(out)![0],
  };
}

/** Makes an expired certificate (valid 2001-2002), self-signed with `openssl ca` in a scratch folder. */
export function expiredPem(cn: string): TestPem {
  const dir = mkdtempSync(join(tmpdir(), "corral-ca-"));
  try {
    writeFileSync(join(dir, "index.txt"), "");
    writeFileSync(join(dir, "serial"), "01\n");
    writeFileSync(
      join(dir, "ca.cnf"),
      `[ca]\ndefault_ca = d\n[d]\ndatabase = ${dir}/index.txt\nnew_certs_dir = ${dir}\nserial = ${dir}/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n`,
    );
    const k = join(dir, "k.pem");
    const csr = join(dir, "r.csr");
    const c = join(dir, "c.pem");
    execaSync("openssl", [
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      k,
      "-subj",
      `/CN=${cn}`,
      "-out",
      csr,
    ]);
    execaSync("openssl", [
      "ca",
      "-batch",
      "-selfsign",
      "-config",
      join(dir, "ca.cnf"),
      "-keyfile",
      k,
      "-in",
      csr,
      "-startdate",
      "20010101000000Z",
      "-enddate",
      "20020101000000Z",
      "-out",
      c,
    ]);
    const cert = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(
      readFileSync(c, "utf8"),
    )![0];
    return { cert, key: readFileSync(k, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
