import type { RegistrationTokenFields } from "../../model/project.ts";
import {
  createRegistrationToken,
  joinCommand,
  removeRegistrationToken,
  rotateRegistrationToken,
  setRegistrationTokenActive,
} from "../../services/registration-tokens.ts";
import type { JoinTrust } from "../../tls/join-trust.ts";
import type { ResourceDef } from "../definition.ts";
import { scopedFields } from "./common.ts";

/**
 * `registrationToken` for a server whose agents join over HTTPS with `trust` (plain HTTP when
 * undefined): the same resource, with join commands that carry the CA checksum.
 */
export function registrationTokenResourceFor(trust: JoinTrust | undefined): ResourceDef {
  return { ...registrationTokenResource, present: presentWith(trust) };
}

function presentWith(trust: JoinTrust | undefined): ResourceDef["present"] {
  return (row, base) => {
    const d = row.data as unknown as RegistrationTokenFields;
    const description = d.description ?? null;
    if (row.state !== "active" || !d.token)
      return { token: null, description, registrationUrl: null, command: null };
    return { token: d.token, description, ...joinCommand(base, d.token, trust) };
  };
}

/**
 * `registrationToken`: the token in the one-line command that joins a host to a project, with
 * Rancher 1.6's `token`, `registrationUrl` and `command`. They are shown while the token is active
 * (to whoever may read it: callers who may register hosts there); an inactive or removed token
 * shows null, since its value joins nothing. `rotate` gives it a new value.
 */
export const registrationTokenResource: ResourceDef = {
  type: "registrationToken",
  collection: "registrationtokens",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, nullable: true, filter: true },
    description: { type: "string", create: true, nullable: true },
    token: { type: "string", nullable: true, description: "shown while the token is active" },
    registrationUrl: { type: "string", nullable: true },
    command: { type: "string", nullable: true },
  },
  create: (ctx, projectId, body) => ({ row: createRegistrationToken(ctx, projectId ?? "", body) }),
  remove: removeRegistrationToken,
  actions: {
    activate: {
      available: (r) => r.state === "inactive",
      run: (ctx, id) => setRegistrationTokenActive(ctx, id, true),
    },
    deactivate: {
      available: (r) => r.state === "active",
      run: (ctx, id) => setRegistrationTokenActive(ctx, id, false),
    },
    rotate: {
      available: (r) => r.state === "active" || r.state === "inactive",
      run: (ctx, id) => rotateRegistrationToken(ctx, id),
    },
  },
  present: presentWith(undefined),
};
