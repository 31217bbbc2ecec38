import { canonicalCidr } from "../network/cidr.ts";
import type { IptablesTable } from "./iptables.ts";
import type { PortAssignment } from "./port-allocator.ts";

/** What the rules depend on besides the published ports. */
export interface RuleContext {
  /** Chain name prefix: "CORRAL" gives CORRAL-PREROUTING and so on. */
  prefix: string;
  /** The managed bridge's interface (corral0). */
  bridgeInterface: string;
  /** The link-local address of DNS and metadata, never forwarded to a container. */
  serviceAddress: string;
  /** The managed range and this host's slice; null while managed networking is off. */
  network: { cidr: string; hostSubnet: string } | null;
}

/** The whole desired content of Corral's chains in one table. */
export interface TableRules {
  table: IptablesTable;
  /** Our chain -> its rules as iptables-save prints them ("-A CHAIN ..."); empty chains included. */
  chains: Map<string, string[]>;
  /** [built-in chain, our chain]: the jump that must exist in the built-in chain. */
  jumps: [string, string][];
}

/** Names of Corral's chains for a prefix. */
export function chainNames(prefix: string) {
  return {
    preRouting: `${prefix}-PREROUTING`,
    output: `${prefix}-OUTPUT`,
    postRouting: `${prefix}-POSTROUTING`,
    forward: `${prefix}-FORWARD`,
  };
}

/** A comment naming the container and port, kept to characters iptables-save prints unchanged. */
function comment(a: PortAssignment): string {
  const text = `${a.containerId} ${a.privatePort}/${a.protocol}`.replace(/[^A-Za-z0-9._:/ -]/g, "_");
  return `-m comment --comment "${text.slice(0, 200)}"`;
}

/**
 * Renders the whole desired rule set. Rules are written exactly as iptables-save prints them
 * (options in its order, CIDRs canonical, `-m tcp` spelled out) so a pass can compare them with
 * what is installed and skip the restore when nothing changed.
 */
export function renderRules(assignments: PortAssignment[], ctx: RuleContext): TableRules[] {
  const names = chainNames(ctx.prefix);
  const pre: string[] = [];
  const out: string[] = [];
  const post: string[] = [];
  const forward: string[] = [];
  // DNS and metadata answer on the service address: a container publishing port 53 or 80 must
  // not capture what the other containers send there.
  const service = `-d ${ctx.serviceAddress}/32 -j RETURN`;
  pre.push(`-A ${names.preRouting} ${service}`);
  out.push(`-A ${names.output} ${service}`);
  const net = ctx.network && {
    cidr: canonicalCidr(ctx.network.cidr),
    slice: canonicalCidr(ctx.network.hostSubnet),
  };
  const br = ctx.bridgeInterface;
  if (net?.slice) {
    // Connections to 127.0.0.1:<public> are DNATed into the bridge; a loopback source cannot
    // leave the host's loopback, so it is replaced by the bridge's own address.
    post.push(`-A ${names.postRouting} -s 127.0.0.0/8 -o ${br} -j MASQUERADE`);
  }
  for (const a of assignments) {
    const dst = a.bindIp ? `-d ${a.bindIp}/32 ` : "";
    const match = `-p ${a.protocol} -m addrtype --dst-type LOCAL -m ${a.protocol} --dport ${a.publicPort}`;
    const dnat = `${dst}${match} ${comment(a)} -j DNAT --to-destination ${a.containerIp}:${a.privatePort}`;
    pre.push(`-A ${names.preRouting} ${dnat}`);
    out.push(`-A ${names.output} ${dnat}`);
    const target = `-d ${a.containerIp}/32`;
    const service = `-p ${a.protocol} -m ${a.protocol} --dport ${a.privatePort}`;
    if (net?.slice) {
      // Hairpin: a container of this slice reaching a published port via the host's address must
      // see the reply come back through the host, so its source becomes the bridge address.
      post.push(
        `-A ${names.postRouting} -s ${net.slice} ${target} ${service} -m conntrack --ctstate DNAT ${comment(a)} -j MASQUERADE`,
      );
    }
    // Docker's FORWARD rules let only established traffic into a bridge: new connections to a
    // published port are accepted here, before DOCKER-USER and Docker's own chains.
    forward.push(`-A ${names.forward} ${target} -o ${br} ${service} ${comment(a)} -j ACCEPT`);
  }
  if (net?.slice && net.cidr) {
    // Docker's masquerade is off on the managed bridge: traffic leaving the managed range is
    // masqueraded here, and traffic between hosts' slices keeps its addresses.
    post.push(`-A ${names.postRouting} -s ${net.slice} ! -d ${net.cidr} -j MASQUERADE`);
    // Containers of other hosts reach this slice's containers directly (over the overlay).
    forward.push(`-A ${names.forward} -s ${net.cidr} -d ${net.slice} -o ${br} -j ACCEPT`);
  }
  return [
    {
      table: "nat",
      chains: new Map([
        [names.preRouting, pre],
        [names.output, out],
        [names.postRouting, post],
      ]),
      jumps: [
        ["PREROUTING", names.preRouting],
        ["OUTPUT", names.output],
        ["POSTROUTING", names.postRouting],
      ],
    },
    { table: "filter", chains: new Map([[names.forward, forward]]), jumps: [["FORWARD", names.forward]] },
  ];
}

/** Chains and rules of an iptables-save text: chain -> its "-A" lines. */
export function parseSave(saved: string): Map<string, string[]> {
  const chains = new Map<string, string[]>();
  for (const line of saved.split("\n")) {
    const declared = /^:(\S+) /.exec(line);
    if (declared) chains.set(declared[1]!, chains.get(declared[1]!) ?? []);
    const rule = /^-A (\S+) /.exec(line);
    if (rule) chains.set(rule[1]!, [...(chains.get(rule[1]!) ?? []), line.trimEnd()]);
  }
  return chains;
}

/**
 * The iptables-restore input that makes one table match `desired`, or null when it already does.
 * It declares each of our chains (which, with --noflush, creates or flushes it and nothing else),
 * writes their rules, and inserts a missing jump at the top of its built-in chain; rules in any
 * other chain are never named, so never touched.
 */
export function restoreInput(desired: TableRules, saved: string): string | null {
  const current = parseSave(saved);
  const jumpLine = ([builtin, chain]: [string, string]) => `-A ${builtin} -j ${chain}`;
  const missingJumps = desired.jumps.filter((jump) => !current.get(jump[0])?.includes(jumpLine(jump)));
  const same = [...desired.chains].every(([chain, rules]) => {
    const installed = current.get(chain);
    return installed !== undefined && installed.join("\n") === rules.join("\n");
  });
  if (same && missingJumps.length === 0) return null;
  const lines = [`*${desired.table}`];
  for (const chain of desired.chains.keys()) lines.push(`:${chain} - [0:0]`);
  for (const rules of desired.chains.values()) lines.push(...rules);
  for (const [builtin, chain] of missingJumps) lines.push(`-I ${builtin} 1 -j ${chain}`);
  lines.push("COMMIT", "");
  return lines.join("\n");
}

/** The restore input that removes every chain starting with `prefix-` and the jumps to them; null if none. */
export function removalInput(table: IptablesTable, prefix: string, saved: string): string | null {
  const current = parseSave(saved);
  const ours = [...current.keys()].filter((chain) => chain.startsWith(`${prefix}-`));
  if (ours.length === 0) return null;
  const lines = [`*${table}`];
  for (const [chain, rules] of current) {
    if (ours.includes(chain)) continue;
    for (const rule of rules) {
      const jump = new RegExp(`^-A ${chain} (.*-j (\\S+))$`).exec(rule);
      if (jump && ours.includes(jump[2]!)) lines.push(`-D ${chain} ${jump[1]}`);
    }
  }
  for (const chain of ours) lines.push(`:${chain} - [0:0]`);
  for (const chain of ours) lines.push(`-X ${chain}`);
  lines.push("COMMIT", "");
  return lines.join("\n");
}
