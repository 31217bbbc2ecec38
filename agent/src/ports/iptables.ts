import { run } from "@corral/lib";

/** The iptables tables Corral writes chains in. */
export type IptablesTable = "nat" | "filter" | "raw";

/**
 * What the port controller needs of iptables: read a table, and apply a restore input to it
 * without flushing what it does not name. Controllers are tested against a fake of this and the
 * real programs are tested separately.
 */
export interface Iptables {
  /** The `iptables-save -t <table>` text. */
  save(table: IptablesTable): Promise<string>;
  /** Runs `iptables-restore --noflush` with `text` (a whole `*table ... COMMIT` block). */
  restore(table: IptablesTable, text: string): Promise<void>;
}

/** Names of the programs to run; the defaults are the ones on PATH, which Docker uses too. */
export interface IptablesPrograms {
  save: string;
  restore: string;
}

/**
 * The real iptables. Docker writes its rules with the `iptables` on its PATH (nft or legacy by the
 * system's alternatives); ours must go to the same backend, or the two sets would never meet in
 * one ruleset, so the same names are used unless told otherwise.
 */
export function createIptables(
  programs: IptablesPrograms = { save: "iptables-save", restore: "iptables-restore" },
): Iptables {
  return {
    save: (table) => run(programs.save, ["-t", table], { timeoutMs: 15_000 }),
    async restore(_table, text) {
      await run(programs.restore, ["--noflush"], { input: text, timeoutMs: 15_000 });
    },
  };
}
