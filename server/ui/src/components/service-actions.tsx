import type { Service } from "../api/types.ts";
import { ActionButtons, type ActionSpec } from "./action-buttons.tsx";

const specs: ActionSpec[] = [
  { action: "activate", verb: "Start" },
  { action: "deactivate", verb: "Stop" },
  { action: "restart", verb: "Restart", body: { rollingRestartStrategy: {} } },
];

/** The service's own actions (start, stop, restart): shown when its `actions` map offers them. */
export function ServiceActions(props: { service: Service }) {
  return <ActionButtons resource={props.service} specs={specs} />;
}
