/** Test helpers of `@corral/lib` for every package's tests (never imported by shipped code). */
export { FakeClock, settle } from "./fake-clock.ts";
