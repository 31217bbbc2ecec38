/**
 * The administration pages, bundled as one chunk loaded the first time one of them is opened (they
 * are rarely used, so they add nothing to the first load).
 */
export { ApiKeysPage } from "./api-keys.tsx";
export { AuditLogPage } from "./audit-log.tsx";
export { EnvironmentsPage } from "./environments.tsx";
export { MembersPage } from "./members.tsx";
