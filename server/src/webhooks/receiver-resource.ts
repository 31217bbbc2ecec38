import { formatId } from "@corral/api";
import type { ResourceDef } from "../http/definition.ts";
import { scopedFields } from "../http/resources/common.ts";
import type { ReceiverFields } from "../model/receiver.ts";
import { createReceiver, endpointUrl, removeReceiver } from "./receivers.ts";

/**
 * `receiver`: a webhook receiver of an environment, with the fields of Rancher's webhook service.
 * Also served as `/v1-webhooks/receivers?projectId=<id>` (routes.ts). Its trigger URL carries the
 * key and is shown only in the answer to create.
 */
export const receiverResource: ResourceDef = {
  type: "receiver",
  collection: "receivers",
  scoped: true,
  fields: {
    ...scopedFields,
    name: { type: "string", create: true, required: true, filter: true },
    driver: {
      type: "enum",
      options: ["scaleService", "serviceUpgrade"],
      create: true,
      required: true,
      filter: true,
    },
    scaleServiceConfig: {
      type: "scaleService",
      create: true,
      nullable: true,
      description: "{serviceId, action: up|down, amount, min, max}",
    },
    serviceUpgradeConfig: {
      type: "serviceUpgrade",
      create: true,
      nullable: true,
      description:
        "{serviceSelector: labels, tag, payloadFormat: dockerhub|registry, batchSize, intervalMillis, startFirst}",
    },
    url: {
      type: "string",
      nullable: true,
      description: "the trigger URL with its key: shown only on create",
    },
    lastTriggered: { type: "date", nullable: true },
    lastResult: { type: "string", nullable: true },
  },
  create: (ctx, projectId, body) => {
    const made = createReceiver(ctx, projectId ?? "", body);
    return {
      row: made.row,
      extra: (base: string) => ({ url: endpointUrl(base, made.key, made.row.projectId!) }),
    };
  },
  remove: removeReceiver,
  actions: {},
  present: (row) => {
    const d = row.data as ReceiverFields;
    return {
      driver: d.driver,
      scaleServiceConfig: d.scaleServiceConfig ?? null,
      serviceUpgradeConfig: d.serviceUpgradeConfig ?? null,
      url: null,
      lastTriggered: d.lastTriggered ? new Date(d.lastTriggered).toISOString() : null,
      lastResult: d.lastResult ?? null,
      projectId: row.projectId,
      receiverId: formatId("receiver", row.id),
    };
  },
};
