import { expect, it } from "vitest";
import { IsmDriver } from "../../runtime/ism/driver/index.js";
import { IsmLocalHost } from "../../runtime/ism/guest/local-host.js";

it("smoke", async () => {
  const host = new IsmLocalHost({ chunkSize: 4096 });
  const ga = host.addGuest({ name: "A" });
  const gb = host.addGuest({ name: "B" });
  const a = await IsmDriver.open(ga);
  const b = await IsmDriver.open(gb);
  const data = new Uint8Array(64).fill(7);
  const t0 = performance.now();
  const N = 10000;
  let updates = 0;
  b.on("UPDATE", () => updates++);
  for (let i = 0; i < N; i++) {
    const r = await a.alloc(8192);
    const rb = await b.attach(r.token);
    r.write(0, data);
    r.kick();
    await rb.detach();
    await r.detach();
  }
  const dt = performance.now() - t0;
  console.log(`${N} cycles in ${dt.toFixed(0)} ms, ${(dt / N * 1000).toFixed(1)} us/cycle`, updates, host.domain.hostMemory.usedBytes);
});
