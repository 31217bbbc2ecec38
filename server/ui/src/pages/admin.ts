/**
 * The administration and delivery pages (keys, audit log, environments, members, registries,
 * secrets, webhooks), bundled as one chunk loaded the first time one of them is opened (they are
 * rarely used, so they add nothing to the first load).
 */
export { ApiKeysPage } from "./admin/api-keys.tsx";
export { AuditLogPage } from "./admin/audit-log.tsx";
export { EnvironmentsPage } from "./admin/environments.tsx";
export { MembersPage } from "./admin/members.tsx";
export { RegistriesPage } from "./admin/registries.tsx";
export { SecretsPage } from "./admin/secrets.tsx";
export { WebhooksPage } from "./admin/webhooks.tsx";
