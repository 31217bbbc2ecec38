/** Stored fields of a project. */
export interface ProjectFields {
  description?: string;
  members: string[];
  servicesPortRange?: { startPort: number; endPort: number };
  transitioningMessage?: string;
}

/** Stored fields of a registration token (the value is emptied when the token is removed). */
export interface RegistrationTokenFields {
  token: string;
  description?: string;
}
