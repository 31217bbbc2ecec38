import { type JoinTrust, joinBase } from "../tls/join-trust.ts";

/**
 * The shell script behind a registration URL: `curl -fsSL <url> | sh` joins the machine. It uses an
 * installed `corral` if there is one, otherwise fetches the server's own binary, then runs the agent.
 * With HTTPS (`trust`), the script carries the server's CA (it came over a connection verified
 * against it) for its own download, and the CA checksum, which the agent verifies and pins.
 */
export function joinScript(requestBase: string, token: string, trust?: JoinTrust): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const base = joinBase(requestBase, trust);
  const caFile = trust ? ' --cacert "$STATE/server-ca.pem"' : "";
  const pin = trust ? ' --ca-checksum "$CA_CHECKSUM"' : "";
  return `#!/bin/sh
# Joins this machine to the Corral server at ${base}.
set -eu
URL=${quote(base)}
TOKEN=${quote(token)}
STATE=\${CORRAL_AGENT_STATE:-/var/lib/corral/agent}
mkdir -p "$STATE"
chmod 0700 "$STATE"
${
  trust
    ? `CA_CHECKSUM=${quote(trust.caChecksum)}
cat >"$STATE/server-ca.pem" <<'CORRAL_CA_END'
${trust.caPem.trimEnd()}
CORRAL_CA_END
`
    : ""
}BIN=$(command -v corral || true)
if [ -z "$BIN" ]; then
  BIN=/usr/local/bin/corral
  echo "downloading corral from $URL" >&2
  curl -fsSL${caFile} "$URL/v2-beta/binaries/corral" -o "$BIN.tmp"
  chmod 0755 "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
fi
echo "starting the corral agent (state in $STATE)" >&2
nohup "$BIN" agent --url "$URL" --token "$TOKEN"${pin} --state "$STATE" >>"$STATE/agent.log" 2>&1 &
echo "agent started; this host appears in the server within seconds" >&2
`;
}
