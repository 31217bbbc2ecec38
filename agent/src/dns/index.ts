/** The host's DNS server (rancher-dns successor): authoritative for rancher.internal, recursive otherwise. */
export { createDnsController } from "./controller.ts";
export { DNS_ADDRESS, type DnsServer, type DnsServerOptions, startDnsServer } from "./server.ts";
export { DnsZone, pickAddresses, ZONE, type ZoneAnswer, type ZoneRecord } from "./zone.ts";
