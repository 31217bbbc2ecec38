import type { ContainerPolicy } from "@corral/api";
import type { ExternalIdType } from "../auth/identity.ts";
import type { Role } from "../auth/roles.ts";

/** Stored fields of a project. */
export interface ProjectFields {
  description?: string;
  servicesPortRange?: { startPort: number; endPort: number };
  /** What containers may take from their hosts; absent is the default for new environments. */
  containerPolicy?: ContainerPolicy;
  transitioningMessage?: string;
}

/** Stored fields of a registration token (the value is emptied when the token is removed). */
export interface RegistrationTokenFields {
  token: string;
  description?: string;
}

/** Stored fields of a `projectMember` row (its `projectId` is the environment). */
export interface ProjectMemberFields {
  externalId: string;
  externalIdType: ExternalIdType;
  role: Role;
  /** Display name, as known when the member was set. */
  name: string;
}
