import { type Client, expectStatus, until } from "./harness.ts";

/** Adds a global catalog through `/v1-catalog` and waits until its first fetch made it active. */
export async function addCatalog(admin: Client, name: string, url: string): Promise<void> {
  expectStatus(await admin.post("/v1-catalog/catalogs", { name, url }), 201);
  await until(
    `catalog ${name} fetched`,
    async () => (await admin.get(`/v1-catalog/catalogs/${name}`)).body.state === "active",
    30_000,
    100,
  );
}
