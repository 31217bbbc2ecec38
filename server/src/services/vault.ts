import { randomBytes } from "node:crypto";
import { SecretBox } from "../auth/secret-box.ts";
import type { Store } from "../store/store.ts";

const boxes = new WeakMap<Store, SecretBox>();

/**
 * Gives a store the server's secret box, which seals registry passwords and secret values in the
 * store's `secret` column. Set once at server start (server.ts); the orchestrator and the verbs
 * reach it through the store they already hold, so no signature in between has to carry it.
 */
export function setVault(store: Store, box: SecretBox): void {
  boxes.set(store, box);
}

/**
 * The store's secret box. A store nobody gave one (a unit test's) gets a random key that lives as
 * long as the store: what it seals is readable only within that process, as with an in-memory server.
 */
export function vaultOf(store: Store): SecretBox {
  let box = boxes.get(store);
  if (!box) {
    box = new SecretBox(randomBytes(32));
    boxes.set(store, box);
  }
  return box;
}
