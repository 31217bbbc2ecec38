/**
 * The shell script behind a registration URL: `curl -fsSL <url> | sh` joins the machine. It uses an
 * installed `corral` if there is one, otherwise fetches the server's own binary, then runs the agent.
 */
export function joinScript(base: string, token: string): string {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  return `#!/bin/sh
# Joins this machine to the Corral server at ${base}.
set -eu
URL=${quote(base)}
TOKEN=${quote(token)}
BIN=$(command -v corral || true)
if [ -z "$BIN" ]; then
  BIN=/usr/local/bin/corral
  echo "downloading corral from $URL" >&2
  curl -fsSL "$URL/v2-beta/binaries/corral" -o "$BIN.tmp"
  chmod 0755 "$BIN.tmp"
  mv "$BIN.tmp" "$BIN"
fi
STATE=\${CORRAL_AGENT_STATE:-/var/lib/corral/agent}
mkdir -p "$STATE"
echo "starting the corral agent (state in $STATE)" >&2
nohup "$BIN" agent --url "$URL" --token "$TOKEN" --state "$STATE" >>"$STATE/agent.log" 2>&1 &
echo "agent started; this host appears in the server within seconds" >&2
`;
}
