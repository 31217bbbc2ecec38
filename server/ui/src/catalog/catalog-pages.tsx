/** The catalog pages, one lazily loaded chunk (see pages/catalog.tsx). */
export { CatalogBrowsePage } from "./browse.tsx";
export { CatalogTemplatePage } from "./template.tsx";
export { CatalogUpgradePage } from "./upgrade.tsx";
