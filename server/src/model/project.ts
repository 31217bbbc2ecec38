import type { ContainerPolicy } from "@corral/api";

/** Stored fields of a project. */
export interface ProjectFields {
  description?: string;
  members: string[];
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
