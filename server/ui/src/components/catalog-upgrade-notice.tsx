import type { Stack } from "../api/types.ts";
import { Link } from "./link.tsx";

/**
 * On a stack launched from the catalog: "Upgrade available" with the versions it can go to and a
 * link to the upgrade form; nothing on other stacks.
 */
export function CatalogUpgradeNotice(props: { projectId: string; stack: Stack }) {
  const s = props.stack as Stack & {
    upgradeAvailable?: boolean;
    upgradeVersions?: Record<string, string> | null;
  };
  if (!s.upgradeAvailable) return null;
  const versions = Object.keys(s.upgradeVersions ?? {});
  return (
    <p class="warning" data-testid="upgrade-available">
      Upgrade available: {versions.join(", ")}.{" "}
      <Link
        href={`/env/${encodeURIComponent(props.projectId)}/stacks/${encodeURIComponent(s.id)}/catalog-upgrade`}
      >
        Upgrade from the catalog
      </Link>
    </p>
  );
}
