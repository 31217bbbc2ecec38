import type { Iptables, IptablesTable } from "../src/ports/iptables.ts";

/** An in-memory Iptables for tests: keeps each table's text and records every restore input. */
export class FakeIptables implements Iptables {
  /** Every restore input, in order. */
  readonly restores: { table: IptablesTable; text: string }[] = [];
  private readonly rules = new Map<IptablesTable, Map<string, string[]>>();

  async save(table: IptablesTable): Promise<string> {
    const chains = this.table(table);
    const lines = [`*${table}`];
    for (const name of chains.keys()) lines.push(`:${name} ${isBuiltin(name) ? "ACCEPT" : "-"} [0:0]`);
    for (const [name, rules] of chains) for (const rule of rules) lines.push(`-A ${name} ${rule}`);
    lines.push("COMMIT");
    return `${lines.join("\n")}\n`;
  }

  async restore(table: IptablesTable, text: string): Promise<void> {
    this.restores.push({ table, text });
    const chains = this.table(table);
    // Apply the subset of the restore language the controllers write: declare (flush), -A, -I, -D, -X.
    for (const line of text.split("\n")) {
      const declared = /^:(\S+) /.exec(line);
      if (declared) chains.set(declared[1]!, []);
      const command = /^-([AIDX]) (\S+)(?: (\d+))?(?: (.*))?$/.exec(line);
      if (!command) continue;
      const [, op, chain = "", position, rest = ""] = command;
      const list = chains.get(chain) ?? [];
      if (op === "X") chains.delete(chain);
      else if (op === "A") chains.set(chain, [...list, rest]);
      else if (op === "I") list.splice(Number(position ?? 1) - 1, 0, rest);
      else if (op === "D") {
        const at = list.indexOf(position ? `${position} ${rest}`.trim() : rest);
        if (at >= 0) list.splice(at, 1);
      }
      if (op === "I") chains.set(chain, list);
    }
  }

  /** Adds a rule as someone else would (tests of foreign rules). */
  add(table: IptablesTable, chain: string, rule: string): void {
    const chains = this.table(table);
    chains.set(chain, [...(chains.get(chain) ?? []), rule]);
  }

  /** Flushes a chain as someone else would. */
  flush(table: IptablesTable, chain: string): void {
    if (this.table(table).has(chain)) this.table(table).set(chain, []);
  }

  private table(table: IptablesTable): Map<string, string[]> {
    let chains = this.rules.get(table);
    if (!chains) {
      const builtins =
        table === "nat"
          ? ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"]
          : table === "raw"
            ? ["PREROUTING", "OUTPUT"]
            : ["INPUT", "FORWARD", "OUTPUT"];
      chains = new Map(builtins.map((name) => [name, []]));
      this.rules.set(table, chains);
    }
    return chains;
  }
}

/** True for the chains every table starts with. */
function isBuiltin(name: string): boolean {
  return /^[A-Z]+$/.test(name) && ["PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"].includes(name);
}
