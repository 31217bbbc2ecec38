/** The host's metadata service (rancher-metadata successor) on 169.254.169.250:80. */
export { createMetadataController } from "./controller.ts";

export { type Meta, renderText, walk } from "./render.ts";
export {
  METADATA_ADDRESS,
  METADATA_VERSIONS,
  type MetadataServer,
  type MetadataServerOptions,
  startMetadataServer,
} from "./server.ts";
export { buildMetadata, type MetadataTree, viewFor } from "./tree.ts";
