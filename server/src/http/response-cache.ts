import type { Row } from "../store/rows.ts";
import type { Store } from "../store/store.ts";
import type { ResourceDef } from "./definition.ts";
import { present } from "./present.ts";

/** How many collection pages are kept. */
const maxPages = 1000;

/**
 * Encoded answers kept between reads. A resource's JSON depends only on its row and the base URL, so
 * it is kept until the row changes; a collection page depends on the rows of one type, so it is kept
 * until any row of that type changes (a generation counter per type). Reads of an unchanged API then
 * cost a lookup instead of a query, a re-presentation and a re-encoding of every row.
 */
export class ResponseCache {
  private readonly rows = new Map<number, { base: string; json: string }>();
  private readonly pages = new Map<string, { generation: number; json: string }>();
  private readonly generations = new Map<string, number>();

  constructor(store: Store) {
    store.onChange(({ row }) => {
      this.rows.delete(row.id);
      this.generations.set(row.type, (this.generations.get(row.type) ?? 0) + 1);
    });
  }

  /** The JSON of one resource. */
  resource(def: ResourceDef, row: Row, base: string): string {
    const hit = this.rows.get(row.id);
    if (hit && hit.base === base) return hit.json;
    const json = JSON.stringify(present(def, row, base));
    if (this.rows.size > 100_000) this.rows.clear();
    this.rows.set(row.id, { base, json });
    return json;
  }

  /** The JSON of a collection page: `key` must name everything the page depends on besides its rows. */
  page(type: string, key: string, build: () => object): string {
    const generation = this.generations.get(type) ?? 0;
    const hit = this.pages.get(key);
    if (hit && hit.generation === generation) return hit.json;
    const json = JSON.stringify(build());
    if (this.pages.size >= maxPages) this.pages.delete(this.pages.keys().next().value!);
    this.pages.set(key, { generation, json });
    return json;
  }
}
