import { type Client, type Entry, NoSuchObjectError } from "ldapts";
import type { Identity } from "../identity.ts";
import type { LdapConfig } from "./config.ts";
import type { ServiceConnection } from "./connection.ts";
import { anyEqual, classAnd, dnKey, first, isDnAttribute, rdnValue, values } from "./entries.ts";

/** Levels of nesting followed below a user's direct groups (cycles stop earlier: DNs are visited once). */
export const maxNestingDepth = 10;
/** Most groups collected for one user; a directory with more is cut off here rather than stalling a login. */
export const maxGroups = 1000;
/** Member values per search: one `(|(member=a)(member=b)...)` per chunk. */
const chunk = 50;

/** How long the groups above a set of groups are reused (nested lookups only). */
export const parentCacheTtlMs = 30_000;
/** Frontiers remembered at most per provider (the oldest go first). */
const parentCacheSize = 1000;

/**
 * The groups containing a set of groups, as last found, for a short time. Following nested groups
 * costs one search per level after the password check; a person logging in again (or a team whose
 * members share groups) would otherwise pay them every time. Only the levels above the user's own
 * groups are kept: whether the user is in a group is always asked afresh, and a group moved from
 * one parent to another counts within {@link parentCacheTtlMs}.
 */
export class ParentCache {
  private readonly entries = new Map<string, { parents: Entry[]; until: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** The parents last found for exactly these groups, while fresh. */
  get(key: string): Entry[] | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return hit.parents;
  }

  /** Remembers the parents of these groups. */
  set(key: string, parents: Entry[]): void {
    this.entries.delete(key);
    this.entries.set(key, { parents, until: this.now() + parentCacheTtlMs });
    if (this.entries.size > parentCacheSize) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** The identity of a group entry. */
export function groupIdentity(c: LdapConfig, entry: Entry): Identity {
  return {
    externalId: entry.dn,
    externalIdType: "ldap_group",
    name: first(entry, c.groupNameField) ?? rdnValue(entry.dn),
  };
}

/** The attributes to ask of a user entry so its groups can be found. */
export function userGroupAttributes(c: LdapConfig): string[] {
  return [
    c.userMemberAttribute,
    isDnAttribute(c.groupMemberUserAttribute) ? "" : c.groupMemberUserAttribute,
  ].filter((a) => a !== "");
}

function groupBase(c: LdapConfig): string {
  return c.groupSearchDomain || c.domain;
}

/** Groups of `groupObjectClass` under the group base whose member attribute holds any of `memberValues`. */
async function groupsWithMembers(client: Client, c: LdapConfig, memberValues: string[]): Promise<Entry[]> {
  const out: Entry[] = [];
  for (let i = 0; i < memberValues.length; i += chunk) {
    const { searchEntries } = await client.search(groupBase(c), {
      scope: "sub",
      filter: classAnd(
        c.groupObjectClass,
        anyEqual(c.groupMemberMappingAttribute, memberValues.slice(i, i + chunk)),
      ),
      attributes: [c.groupNameField],
      sizeLimit: maxGroups,
    });
    out.push(...searchEntries);
  }
  return out;
}

/** Reads the groups a user's `memberOf` names (they may sit outside the group base); missing ones are skipped. */
async function readGroups(client: Client, c: LdapConfig, dns: string[]): Promise<Entry[]> {
  const read = async (dn: string) => {
    try {
      const { searchEntries } = await client.search(dn, {
        scope: "base",
        filter: classAnd(c.groupObjectClass),
        attributes: [c.groupNameField],
      });
      return searchEntries;
    } catch (e) {
      if (e instanceof NoSuchObjectError) return [];
      throw e;
    }
  };
  return (await Promise.all(dns.slice(0, maxGroups).map(read))).flat();
}

/**
 * Every group `user` belongs to: groups listing it as a member, groups its `userMemberAttribute`
 * names, and, when nested membership is on, the groups containing those, level by level (each DN
 * visited once, at most {@link maxNestingDepth} levels and {@link maxGroups} groups; the levels
 * above the user's own groups may come from `parents`).
 */
export async function collectGroups(
  service: ServiceConnection,
  c: LdapConfig,
  user: Entry,
  parents: ParentCache = new ParentCache(),
): Promise<Identity[]> {
  return service.run(async (client) => {
    const found = new Map<string, Entry>();
    const add = (entries: Entry[]): Entry[] => {
      const fresh: Entry[] = [];
      for (const e of entries) {
        const key = dnKey(e.dn);
        if (found.has(key) || found.size >= maxGroups) continue;
        found.set(key, e);
        fresh.push(e);
      }
      return fresh;
    };
    const memberValues = values(user, c.groupMemberUserAttribute);
    const listed = values(user, c.userMemberAttribute);
    const [byMember, byMemberOf] = await Promise.all([
      memberValues.length ? groupsWithMembers(client, c, memberValues) : [],
      listed.length ? readGroups(client, c, listed) : [],
    ]);
    let frontier = add([...byMember, ...byMemberOf]);
    for (
      let depth = 0;
      c.nestedGroupMembershipEnabled && frontier.length && depth < maxNestingDepth;
      depth++
    ) {
      if (found.size >= maxGroups) break;
      const dns = frontier.map((e) => e.dn);
      const key = dns.map(dnKey).sort().join("\n");
      let above = parents.get(key);
      if (!above) {
        above = await groupsWithMembers(client, c, dns);
        parents.set(key, above);
      }
      frontier = add(above);
    }
    return [...found.values()].map((e) => groupIdentity(c, e));
  });
}
