/**
 * A large environment written straight into a store (no Docker, no orchestrator): hosts with their
 * slices, stacks of services, and service containers with the labels, health checks and ports the
 * orchestrator gives real ones. For measuring what the network view costs at scale.
 */
import { formatId, type HealthCheck } from "@corral/api";
import type { ContainerFields } from "../src/model/container.ts";
import type { HostFields } from "../src/model/host.ts";
import type { ProjectFields } from "../src/model/project.ts";
import type { ServiceFields, StackFields, UnitMembership } from "../src/model/service.ts";
import type { HostNetworkFields } from "../src/network/allocation.ts";
import { unitLabels } from "../src/orchestrator/deploy.ts";
import { openDatabase } from "../src/store/db.ts";
import { Store } from "../src/store/store.ts";

/** How large an environment to make. */
export interface LargeEnvironmentOptions {
  hosts?: number;
  stacks?: number;
  servicesPerStack?: number;
  containersPerService?: number;
}

/** The store and the public ids of what was made. */
export interface LargeEnvironment {
  store: Store;
  projectId: string;
  hostIds: string[];
  serviceIds: string[];
  containerIds: string[];
}

const check: HealthCheck = {
  port: 80,
  requestLine: "GET /healthz HTTP/1.0",
  interval: 2000,
  responseTimeout: 2000,
  healthyThreshold: 2,
  unhealthyThreshold: 3,
  initializingTimeout: 60_000,
  strategy: "recreate",
};

/**
 * Makes an environment of `hosts` hosts (default 40, each with a /24) and stacks x services x
 * containers (default 100 x 10 x 10 = 10,000 containers), containers spread round-robin over the
 * hosts with addresses from their host's slice. Every other service has a health check; every
 * tenth publishes a port.
 */
export function largeEnvironment(options: LargeEnvironmentOptions = {}): LargeEnvironment {
  const hostCount = options.hosts ?? 40;
  const stackCount = options.stacks ?? 100;
  const perStack = options.servicesPerStack ?? 10;
  const perService = options.containersPerService ?? 10;
  const store = new Store(openDatabase(":memory:"));
  const project = store.insert<ProjectFields>("project", {
    name: "Large",
    state: "active",
    data: {},
  });
  const projectId = formatId("project", project.id);
  const hostIds: string[] = [];
  const serviceIds: string[] = [];
  const containerIds: string[] = [];
  const used = new Map<string, number>();
  store.transaction(() => {
    for (let h = 0; h < hostCount; h++) {
      const name = `host-${h}`;
      const row = store.insert<HostFields & HostNetworkFields>("host", {
        projectId,
        name,
        state: "active",
        data: {
          hostname: name,
          uuid: `uuid-${name}`,
          labels: { zone: `z${h % 3}` },
          info: null,
          agentState: "active",
          agentAccountId: "",
          agentIpAddress: `192.0.2.${h + 1}`,
          lastPingAt: null,
          hostSubnet: `10.42.${h}.0/24`,
        },
      });
      hostIds.push(formatId("host", row.id));
    }
    let n = 0;
    for (let s = 0; s < stackCount; s++) {
      const stackName = `stack${s}`;
      const stack = store.insert<StackFields>("stack", {
        projectId,
        name: stackName,
        state: "active",
        data: {
          dockerCompose: "",
          rancherCompose: "",
          environment: {},
          startOnCreate: true,
          healthState: "healthy",
        },
      });
      const stackId = formatId("stack", stack.id);
      for (let v = 0; v < perStack; v++) {
        const serviceName = `svc${v}`;
        const labels = { tier: v % 2 ? "web" : "backend", "com.example.team": `team-${s % 7}` };
        const healthCheck = v % 2 === 0 ? check : undefined;
        const svc = store.insert<Partial<ServiceFields>>("service", {
          projectId,
          name: serviceName,
          state: "active",
          data: {
            stackId,
            kind: "service",
            scale: perService,
            healthState: "healthy",
            version: "0",
            links: v > 0 ? [{ target: `svc${v - 1}`, alias: "" }] : [],
            launchConfig: { labels, ...(healthCheck && { healthCheck }) } as never,
            secondaryLaunchConfigs: [],
            metadata: {},
          },
        });
        const serviceId = formatId("service", svc.id);
        serviceIds.push(serviceId);
        for (let i = 1; i <= perService; i++) {
          const hostIndex = n++ % hostCount;
          const hostId = hostIds[hostIndex]!;
          const octet = (used.get(hostId) ?? 1) + 1;
          used.set(hostId, octet);
          const name = `${stackName}-${serviceName}-${i}`;
          const uuid = crypto.randomUUID();
          const data: Partial<ContainerFields & UnitMembership> = {
            serviceId,
            stackId,
            deploymentUnitUuid: uuid,
            createIndex: i,
            launchConfigName: "",
            serviceVersion: "0",
            startOnce: false,
            hostId,
            managedIp: `10.42.${hostIndex}.${octet}`,
            primaryIpAddress: `10.42.${hostIndex}.${octet}`,
            healthState: healthCheck ? "healthy" : null,
            labels: unitLabels({ labels } as never, stackName, serviceName, uuid, "", name),
            ports: v === 0 ? [`${8000 + s}:80/tcp`] : [],
            publicEndpoints: [],
            ...(healthCheck && { healthCheck }),
          };
          const row = store.insert("container", { projectId, name, state: "running", data });
          containerIds.push(formatId("container", row.id));
        }
      }
    }
  });
  return { store, projectId, hostIds, serviceIds, containerIds };
}
