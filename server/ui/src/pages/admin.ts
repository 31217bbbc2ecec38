/**
 * The administration pages, bundled as one chunk loaded the first time one of them is opened (they
 * are rarely used, so they add nothing to the first load).
 */
export { ApiKeysPage } from "./admin/api-keys.tsx";
export { AuditLogPage } from "./admin/audit-log.tsx";
export { EnvironmentsPage } from "./admin/environments.tsx";
export { MembersPage } from "./admin/members.tsx";
