import type { Service } from "../api/types.ts";
import { currentProject } from "../router.ts";
import { ActionButtons, type ActionSpec } from "./action-buttons.tsx";
import { Link } from "./link.tsx";

const specs: ActionSpec[] = [
  { action: "activate", verb: "Start" },
  { action: "deactivate", verb: "Stop" },
  { action: "restart", verb: "Restart", body: { rollingRestartStrategy: {} } },
  { action: "finishupgrade", verb: "Finish upgrade" },
  { action: "rollback", verb: "Roll back" },
];

/**
 * The service's own actions (start, stop, restart, finish or roll back an upgrade) when its
 * `actions` map offers them, and the link to edit its launch configuration as an upgrade.
 */
export function ServiceActions(props: { service: Service }) {
  const s = props.service;
  return (
    <>
      {s.actions.upgrade ? (
        <Link
          href={`/env/${encodeURIComponent(currentProject())}/services/${encodeURIComponent(s.id)}/upgrade`}
          label={`Upgrade ${s.name ?? s.id}`}
        >
          Upgrade
        </Link>
      ) : null}{" "}
      {s.kind === "loadBalancerService" ? (
        <Link
          href={`/env/${encodeURIComponent(currentProject())}/services/${encodeURIComponent(s.id)}/rules`}
          label={`Port rules of ${s.name ?? s.id}`}
        >
          Port rules
        </Link>
      ) : null}{" "}
      <ActionButtons resource={s} specs={specs} />
    </>
  );
}
