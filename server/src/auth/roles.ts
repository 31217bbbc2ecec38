/**
 * Rancher 1.6's four environment roles. What each may do is decided in one place (the role matrix
 * beside this type); everything else asks it.
 */
export const roles = ["owner", "member", "restricted", "readonly"] as const;

/** One of `roles`. */
export type Role = (typeof roles)[number];
