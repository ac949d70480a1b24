/**
 * Helpers of the ISM driver tests: in-thread domains with drivers opened on them, and waiting for the
 * microtask in which an inline driver services its interrupts.
 */
import { IsmDriver } from "../../runtime/ism/driver/index.js";
import type { IsmDriverEvent, IsmDriverOptions } from "../../runtime/ism/driver/index.js";
import { IsmLocalHost } from "../../runtime/ism/guest/index.js";
import type { IsmLocalGuest, IsmLocalGuestOptions, IsmLocalHostOptions } from "../../runtime/ism/guest/index.js";

/**
 * The ring layout the guests of {@link localDomain} offer: `split` (the default), or `packed` for the files that
 * run the same tests again on packed rings (`*.packed.test.ts`, which call {@link useRingLayout} first).
 */
let ringLayout: "split" | "packed" = "split";

/** Makes every later {@link localDomain} guest offer (and its driver take) this ring layout. */
export function useRingLayout(layout: "split" | "packed"): void {
  ringLayout = layout;
}

/** The layout {@link localDomain} uses now. */
export function currentRingLayout(): "split" | "packed" {
  return ringLayout;
}

/** A local host with `n` guests, each with an open driver. */
export async function localDomain(
  n: number,
  options: { host?: IsmLocalHostOptions; guest?: IsmLocalGuestOptions; driver?: IsmDriverOptions } = {},
): Promise<{ host: IsmLocalHost; guests: IsmLocalGuest[]; drivers: IsmDriver[] }> {
  const host = new IsmLocalHost({ chunkSize: 4096, ...options.host });
  const guests = Array.from({ length: n }, (_, i) => host.addGuest({ name: `g${i}`, chunkCount: 64, offerPackedRing: ringLayout === "packed", ...options.guest }));
  const drivers: IsmDriver[] = [];
  for (const g of guests) drivers.push(await IsmDriver.open(g, options.driver));
  return { host, guests, drivers };
}

/** Lets queued microtasks (inline interrupt servicing) and one macrotask turn run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Collects every event a driver reports from now on. */
export function record(driver: IsmDriver): IsmDriverEvent[] {
  const events: IsmDriverEvent[] = [];
  driver.on("event", (e) => events.push(e));
  return events;
}

/** A deterministic xorshift random source, much cheaper than the CSPRNG for long soaks. */
export function fastRandom(seed: number): (target: Uint8Array) => void {
  let x = seed >>> 0 || 1;
  return (target) => {
    for (let i = 0; i < target.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      target[i] = x & 0xff;
    }
  };
}
