import { receiverResource } from "../../webhooks/receiver-resource.ts";
import type { ResourceDef } from "../definition.ts";
import { accountResource } from "./accounts.ts";
import { apiKeyResource } from "./api-keys.ts";
import { auditLogResource } from "./audit-logs.ts";
import { certificateResource } from "./certificates.ts";
import { containerResource } from "./containers.ts";
import { hostResource } from "./hosts.ts";
import { projectMemberResource } from "./project-members.ts";
import { projectResource } from "./projects.ts";
import { registrationTokenResource } from "./registration-tokens.ts";
import { registryResource } from "./registries.ts";
import { registryCredentialResource } from "./registry-credentials.ts";
import { secretResource } from "./secrets.ts";
import { serviceResource } from "./services.ts";
import { stackResource } from "./stacks.ts";
import {
  dnsServiceResource,
  externalServiceResource,
  instanceResource,
  loadBalancerServiceResource,
  storagePoolResource,
} from "./views.ts";
import { volumeResource } from "./volumes.ts";

/** Every resource type the API serves. */
export const resourceDefs: ResourceDef[] = [
  projectResource,
  projectMemberResource,
  accountResource,
  apiKeyResource,
  registrationTokenResource,
  hostResource,
  containerResource,
  stackResource,
  serviceResource,
  certificateResource,
  volumeResource,
  registryResource,
  registryCredentialResource,
  secretResource,
  auditLogResource,
  receiverResource,
  // Typed views of the rows above, as Rancher's clients name them (after the types they show).
  instanceResource,
  loadBalancerServiceResource,
  externalServiceResource,
  dnsServiceResource,
  storagePoolResource,
];
