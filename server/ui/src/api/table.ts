import { batch, type Signal, signal } from "@preact/signals";
import type { Resource } from "./types.ts";

/** True for resources the UI no longer lists (removed or purged). */
export function isGone(r: Resource): boolean {
  return Boolean(r.removed) || r.state === "removed" || r.state === "purged";
}

/**
 * The resources of one type, each in its own signal: a change to one resource re-renders only what
 * reads that resource, and the id list changes only when one is added or removed (a live event never
 * re-renders a whole page). Groups index the ids by a field (containers by `serviceId`, by `hostId`)
 * so counts per service or host follow without scanning every resource.
 */
export class ResourceTable<T extends Resource> {
  /** Ids in arrival order. */
  readonly ids = signal<string[]>([]);
  /** True once the first list answered. */
  readonly loaded = signal(false);
  private readonly rows = new Map<string, Signal<T>>();
  /** Each row's JSON as last applied: an unchanged copy (a list loaded again, a repeated event) is skipped. */
  private readonly texts = new Map<string, string>();
  private readonly groups = new Map<keyof T, Map<unknown, Signal<string[]>>>();

  constructor(groupBy: (keyof T)[] = []) {
    for (const field of groupBy) this.groups.set(field, new Map());
  }

  /** The signal of one resource, when known. */
  row(id: string): Signal<T> | undefined {
    return this.rows.get(id);
  }

  /** The ids whose `field` equals `value` (a signal that changes only when that group does). */
  group(field: keyof T, value: unknown): Signal<string[]> {
    const byValue = this.groups.get(field);
    if (!byValue) throw new Error(`table is not grouped by ${String(field)}`);
    let ids = byValue.get(value);
    if (!ids) {
      ids = signal<string[]>([]);
      byValue.set(value, ids);
    }
    return ids;
  }

  /**
   * Replaces everything with a fresh list (first load, or after the event stream reconnects). Rows
   * whose resource did not change keep their signal untouched, so loading the same list again
   * re-renders nothing; the id list and each group are written once, not once per new resource.
   */
  replace(list: T[]): void {
    batch(() => {
      const keep = new Set<string>();
      const added: string[] = [];
      const grouped = new Map<keyof T, Map<unknown, string[]>>();
      for (const r of list) {
        if (isGone(r) || keep.has(r.id)) continue;
        keep.add(r.id);
        if (this.rows.has(r.id)) {
          this.upsert(r);
          continue;
        }
        this.rows.set(r.id, signal(r));
        this.texts.set(r.id, JSON.stringify(r));
        added.push(r.id);
        for (const field of this.groups.keys()) {
          const value = r[field];
          if (value === null || value === undefined) continue;
          const byValue = grouped.get(field) ?? new Map<unknown, string[]>();
          grouped.set(field, byValue);
          const ids = byValue.get(value);
          if (ids) ids.push(r.id);
          else byValue.set(value, [r.id]);
        }
      }
      if (added.length > 0) this.ids.value = [...this.ids.value, ...added];
      for (const [field, byValue] of grouped)
        for (const [value, ids] of byValue) {
          const group = this.group(field, value);
          group.value = [...group.value, ...ids];
        }
      for (const id of [...this.rows.keys()]) if (!keep.has(id)) this.delete(id);
      this.loaded.value = true;
    });
  }

  /** Adds or updates one resource (or drops it when it is gone). */
  upsert(r: T): void {
    if (isGone(r)) {
      this.delete(r.id);
      return;
    }
    const existing = this.rows.get(r.id);
    const text = JSON.stringify(r);
    if (existing && this.texts.get(r.id) === text) return;
    this.texts.set(r.id, text);
    batch(() => {
      if (existing) {
        const old = existing.value;
        for (const field of this.groups.keys())
          if (old[field] !== r[field]) {
            this.ungroup(field, old[field], r.id);
            this.regroup(field, r[field], r.id);
          }
        existing.value = r;
        return;
      }
      this.rows.set(r.id, signal(r));
      this.ids.value = [...this.ids.value, r.id];
      for (const field of this.groups.keys()) this.regroup(field, r[field], r.id);
    });
  }

  /** Drops one resource. */
  delete(id: string): void {
    const existing = this.rows.get(id);
    if (!existing) return;
    batch(() => {
      for (const field of this.groups.keys()) this.ungroup(field, existing.value[field], id);
      this.rows.delete(id);
      this.texts.delete(id);
      this.ids.value = this.ids.value.filter((x) => x !== id);
    });
  }

  /** Forgets everything (another environment was chosen). */
  clear(): void {
    batch(() => {
      for (const id of [...this.rows.keys()]) this.delete(id);
      this.loaded.value = false;
    });
  }

  private regroup(field: keyof T, value: unknown, id: string): void {
    if (value === null || value === undefined) return;
    const ids = this.group(field, value);
    ids.value = [...ids.value, id];
  }

  private ungroup(field: keyof T, value: unknown, id: string): void {
    const ids = this.groups.get(field)?.get(value);
    if (ids) ids.value = ids.value.filter((x) => x !== id);
  }
}
