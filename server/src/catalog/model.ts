/** One version folder of a template (`templates/<name>/<N>/`), as the index read it. */
export interface IndexedVersion {
  /** The folder number `N`: the revision Rancher ordered versions by. */
  revision: number;
  /** The `.catalog` block's `version`, or the folder number when it has none. */
  version: string;
  name?: string;
  description?: string;
  /** The raw question list of the `.catalog` block (validated when answers are checked). */
  questions: unknown[];
  minimumRancherVersion?: string;
  maximumRancherVersion?: string;
  /** Which versions may upgrade to this one (a range such as `>=1.0.0`, or one version). */
  upgradeFrom?: string;
  uuid?: string;
  /** Every file of the folder by its name (docker-compose.yml[.tpl], rancher-compose.yml, README.md). */
  files: Record<string, string>;
  readme?: string;
}

/** One template folder, with its versions, or the reason it could not be read. */
export interface IndexedTemplate {
  /** `templates` or `infra-templates`. */
  base: "templates" | "infra-templates";
  /** The folder name: the `<name>` in ids such as `library:<name>`. */
  folder: string;
  name: string;
  description?: string;
  /** config.yml's `version`: the version offered by default. */
  defaultVersion?: string;
  category?: string;
  categories: string[];
  maintainer?: string;
  license?: string;
  projectURL?: string;
  labels: Record<string, string>;
  /** The icon file name inside the folder (`catalogIcon-<x>.<ext>`). */
  icon?: string;
  versions: IndexedVersion[];
  /** Why the template is unusable, when it is (bad YAML, no version folder, ...). */
  broken?: string;
  /** Version folders left out, each with its reason (the others are still offered). */
  versionErrors: string[];
}

/** What one read of a catalog's clone found. */
export interface CatalogIndex {
  templates: IndexedTemplate[];
  /** The commit the clone was at. */
  commit: string;
}
