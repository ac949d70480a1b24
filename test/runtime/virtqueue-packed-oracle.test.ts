/**
 * Linux as the layout oracle for the packed ring and the shared descriptor description: gcc compiles
 * `<linux/virtio_ring.h>` and reports sizeof/offsetof of `struct vring_packed_desc`,
 * `struct vring_packed_desc_event` and `struct vring_desc` and the flag/feature values; then a C program
 * fills a packed ring through the header's structs (the TS device must pop it) and reads back, through the
 * same structs, a ring the TS driver wrote.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { GuestMemory } from "../../runtime/memory/index.js";
import {
  PACKED_DESC,
  PACKED_DESC_EVENT,
  PackedQueueDevice,
  PackedQueueDriver,
  SPLIT_DESC,
  VIRTIO_F_IN_ORDER,
  VIRTIO_F_NOTIFICATION_DATA,
  VIRTIO_F_RING_PACKED,
  VIRTIO_F_RING_RESET,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_PACKED_DESC_F_AVAIL,
  VRING_PACKED_DESC_F_USED,
  VRING_PACKED_EVENT_FLAG_DESC,
  VRING_PACKED_EVENT_FLAG_DISABLE,
  VRING_PACKED_EVENT_FLAG_ENABLE,
  VRING_PACKED_EVENT_F_WRAP_CTR,
  contiguousPackedRing,
} from "../../runtime/virtqueue/index.js";
import { cOracleProgram, linuxOracleMissing, parseOracleOutput, readLinuxHeaders, runC } from "../helpers/linux-oracle.js";

const missing = linuxOracleMissing();

describe.skipIf(missing !== undefined)(`packed ring vs <linux/virtio_ring.h>${missing === undefined ? "" : ` (skipped: ${missing})`}`, () => {
  it("struct vring_packed_desc, vring_packed_desc_event and vring_desc: sizes and offsets as descriptor-layout.ts says", () => {
    const linux = readLinuxHeaders();
    const names = ["vring_packed_desc", "vring_packed_desc_event", "vring_desc"];
    const defines = [
      "VRING_PACKED_DESC_F_AVAIL",
      "VRING_PACKED_DESC_F_USED",
      "VRING_PACKED_EVENT_FLAG_ENABLE",
      "VRING_PACKED_EVENT_FLAG_DISABLE",
      "VRING_PACKED_EVENT_FLAG_DESC",
      "VRING_PACKED_EVENT_F_WRAP_CTR",
      "VRING_DESC_F_NEXT",
      "VRING_DESC_F_WRITE",
      "VRING_DESC_F_INDIRECT",
    ];
    for (const n of names) expect(linux.structs.has(n), n).toBe(true);
    const answer = parseOracleOutput(
      runC(cOracleProgram(["virtio_ring.h", "virtio_config.h"], { structs: names.map((name) => ({ name, members: linux.structs.get(name)!.members })), defines: [...defines, "VIRTIO_F_RING_PACKED", "VIRTIO_F_IN_ORDER", "VIRTIO_F_RING_RESET"] })),
    );
    const member = (s: string, m: string) => answer.members.get(`${s}.${m}`);
    expect(answer.sizes.get("vring_packed_desc")).toBe(PACKED_DESC.size);
    expect([member("vring_packed_desc", "addr"), member("vring_packed_desc", "len"), member("vring_packed_desc", "id"), member("vring_packed_desc", "flags")]).toEqual([
      { offset: PACKED_DESC.addr, size: 8 },
      { offset: PACKED_DESC.len, size: 4 },
      { offset: PACKED_DESC.link, size: 2 },
      { offset: PACKED_DESC.flags, size: 2 },
    ]);
    expect(answer.sizes.get("vring_packed_desc_event")).toBe(PACKED_DESC_EVENT.size);
    expect([member("vring_packed_desc_event", "off_wrap"), member("vring_packed_desc_event", "flags")]).toEqual([
      { offset: PACKED_DESC_EVENT.offWrap, size: 2 },
      { offset: PACKED_DESC_EVENT.flags, size: 2 },
    ]);
    expect(answer.sizes.get("vring_desc")).toBe(SPLIT_DESC.size);
    expect([member("vring_desc", "addr"), member("vring_desc", "len"), member("vring_desc", "flags"), member("vring_desc", "next")]).toEqual([
      { offset: SPLIT_DESC.addr, size: 8 },
      { offset: SPLIT_DESC.len, size: 4 },
      { offset: SPLIT_DESC.flags, size: 2 },
      { offset: SPLIT_DESC.link, size: 2 },
    ]);
    const ours: Record<string, number> = {
      VRING_PACKED_DESC_F_AVAIL,
      VRING_PACKED_DESC_F_USED,
      VRING_PACKED_EVENT_FLAG_ENABLE,
      VRING_PACKED_EVENT_FLAG_DISABLE,
      VRING_PACKED_EVENT_FLAG_DESC,
      VRING_PACKED_EVENT_F_WRAP_CTR,
      VRING_DESC_F_NEXT,
      VRING_DESC_F_WRITE,
      VRING_DESC_F_INDIRECT,
      VIRTIO_F_RING_PACKED,
      VIRTIO_F_IN_ORDER,
      VIRTIO_F_RING_RESET,
    };
    for (const [name, value] of Object.entries(ours)) expect(answer.defines.get(name), name).toBe(BigInt(value));
  });

  it("feature bit numbers as the shipped v1.4 spec lists them (Linux's uapi has no VIRTIO_F_NOTIFICATION_DATA)", () => {
    const text = readFileSync(fileURLToPath(new URL("../../spec/virtio-1.4/content.tex", import.meta.url)), "utf8");
    const bit = (name: string): number => Number(new RegExp(`\\item\\[${name}\\((\\d+)\\)\\]`).exec(text)?.[1]);
    expect([bit("VIRTIO_F_RING_PACKED"), bit("VIRTIO_F_IN_ORDER"), bit("VIRTIO_F_NOTIFICATION_DATA"), bit("VIRTIO_F_RING_RESET")]).toEqual([
      VIRTIO_F_RING_PACKED,
      VIRTIO_F_IN_ORDER,
      VIRTIO_F_NOTIFICATION_DATA,
      VIRTIO_F_RING_RESET,
    ]);
  });

  it("the device pops a ring C filled through struct vring_packed_desc; C reads back the TS driver's ring", () => {
    // C: a 4-entry ring at 0 holding, in lap 1, a 2-descriptor list (ID 3) and an indirect one (ID 1) whose
    // table of 2 entries sits at 0x200; driver area at 64 asks for the used descriptor at offset 1, wrap 1.
    const fill = `#include <stdio.h>
#include <string.h>
#include <linux/virtio_ring.h>
static unsigned char mem[1024];
int main(void) {
  struct vring_packed_desc *d = (struct vring_packed_desc *)mem;
  struct vring_packed_desc *t = (struct vring_packed_desc *)(mem + 0x200);
  struct vring_packed_desc_event *drv = (struct vring_packed_desc_event *)(mem + 64);
  unsigned short avail = 1 << VRING_PACKED_DESC_F_AVAIL;
  d[0].addr = 0x300; d[0].len = 5; d[0].id = 3; d[0].flags = VRING_DESC_F_NEXT | avail;
  d[1].addr = 0x320; d[1].len = 7; d[1].id = 3; d[1].flags = VRING_DESC_F_WRITE | avail;
  d[2].addr = 0x200; d[2].len = 2 * sizeof(struct vring_packed_desc); d[2].id = 1; d[2].flags = VRING_DESC_F_INDIRECT | avail;
  t[0].addr = 0x340; t[0].len = 9; t[0].flags = 0;
  t[1].addr = 0x360; t[1].len = 11; t[1].flags = VRING_DESC_F_WRITE;
  drv->off_wrap = 1 | (1 << VRING_PACKED_EVENT_F_WRAP_CTR); drv->flags = VRING_PACKED_EVENT_FLAG_DESC;
  for (int i = 0; i < 1024; i++) printf("%02x", mem[i]);
  return 0;
}
`;
    const hex = runC(fill).trim();
    const bytes = Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
    const memory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x1000));
    memory.write(0, bytes);
    const ring = { ...contiguousPackedRing(4, 0), driverEventAddress: 64, deviceEventAddress: 68 };
    const device = new PackedQueueDevice(memory, ring, { indirectDesc: true, eventIdx: true });
    const chain = device.createChain();
    expect(device.pop(chain)).toBe("popped");
    expect([chain.head, chain.count, chain.readableCount, Array.from(chain.addresses.subarray(0, 2)), Array.from(chain.lengths.subarray(0, 2))]).toEqual([3, 2, 1, [0x300, 0x320], [5, 7]]);
    expect(device.pop(chain)).toBe("popped");
    expect([chain.head, chain.indirect, Array.from(chain.addresses.subarray(0, 2)), Array.from(chain.lengths.subarray(0, 2))]).toEqual([1, true, [0x340, 0x360], [9, 11]]);
    expect(device.pop(chain)).toBe("empty");

    // TS driver → C reader: a fresh ring with one 2-descriptor list, one indirect list, then used events.
    const tsMemory = GuestMemory.fromBuffer(new SharedArrayBuffer(0x1000));
    const driver = new PackedQueueDriver<number>(tsMemory, ring, { indirectDesc: true, eventIdx: true });
    driver.add([{ address: 0x300, length: 5 }], [{ address: 0x320, length: 7 }], 0);
    driver.add([{ address: 0x340, length: 9 }], [{ address: 0x360, length: 11 }], 1, 0x200);
    driver.enableUsedNotifications();
    const image = Array.from(tsMemory.slice(0, 1024), (b) => `0x${b.toString(16)}`).join(",");
    const read = `#include <stdio.h>
#include <linux/virtio_ring.h>
static unsigned char mem[1024] = {${image}};
int main(void) {
  struct vring_packed_desc *d = (struct vring_packed_desc *)mem;
  struct vring_packed_desc *t = (struct vring_packed_desc *)(mem + 0x200);
  struct vring_packed_desc_event *drv = (struct vring_packed_desc_event *)(mem + 64);
  for (int i = 0; i < 3; i++) printf("%llu %u %u %u\\n", (unsigned long long)d[i].addr, d[i].len, d[i].id, d[i].flags);
  for (int i = 0; i < 2; i++) printf("%llu %u %u\\n", (unsigned long long)t[i].addr, t[i].len, t[i].flags);
  printf("%u %u\\n", drv->off_wrap, drv->flags);
  return 0;
}
`;
    const lines = runC(read).trim().split("\n").map((l) => l.split(" ").map(Number));
    const avail = 1 << VRING_PACKED_DESC_F_AVAIL;
    expect(lines).toEqual([
      [0x300, 5, 0, VRING_DESC_F_NEXT | avail],
      [0x320, 7, 0, VRING_DESC_F_WRITE | avail],
      [0x200, 32, 1, VRING_DESC_F_INDIRECT | avail],
      [0x340, 9, 0],
      [0x360, 11, VRING_DESC_F_WRITE],
      [0 | (1 << VRING_PACKED_EVENT_F_WRAP_CTR), VRING_PACKED_EVENT_FLAG_DESC],
    ]);
  });
});
