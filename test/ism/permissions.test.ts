/**
 * The permission matrix: every permission set (READ, WRITE, ATTACH, MANAGE: 16 sets) × granted as the default
 * or as a dedicated set × seen by the allocator or by another device × every `rw_perm`, checking the attach
 * ack, the query reply, the access of the resulting mapping (reads and writes through its handle) and whether
 * the device may grant. Expected outcomes are computed from the spec's rules, restated here.
 */
import { describe, expect, it } from "vitest";
import {
  VIRTIO_ISM_ENOENT,
  VIRTIO_ISM_ERR,
  VIRTIO_ISM_OK,
  VIRTIO_ISM_PERM_ATTACH,
  VIRTIO_ISM_PERM_EATTACH,
  VIRTIO_ISM_PERM_EREAD,
  VIRTIO_ISM_PERM_EWRITE,
  VIRTIO_ISM_PERM_MANAGE,
  VIRTIO_ISM_PERM_READ,
  VIRTIO_ISM_PERM_WRITE,
} from "../../runtime/ism/index.js";
import { REGION_PERM_READ, ShmError } from "../../runtime/shm/index.js";
import { allocToken, attach, detach, domainWith, grantDefault, grantDevice, query } from "./helpers.js";

const R = VIRTIO_ISM_PERM_READ;
const W = VIRTIO_ISM_PERM_WRITE;
const A = VIRTIO_ISM_PERM_ATTACH;
const M = VIRTIO_ISM_PERM_MANAGE;
const RWAM = R | W | A | M;

/** The attach ack the spec requires for a device holding `granted` and asking for `rw`. */
function expectedAttachAck(granted: number, rw: number): number {
  if (!(granted & A)) return VIRTIO_ISM_PERM_EATTACH;
  if (rw & R && !(granted & R)) return VIRTIO_ISM_PERM_EREAD;
  if (rw & W && !(granted & W)) return VIRTIO_ISM_PERM_EWRITE;
  return VIRTIO_ISM_OK;
}

/** Whether `fn` is refused with ShmError `permission-denied`. */
function denied(fn: () => unknown): boolean {
  try {
    fn();
    return false;
  } catch (e) {
    if (e instanceof ShmError && e.reason === "permission-denied") return true;
    throw e;
  }
}

describe("ISM permission matrix", () => {
  it("ATTACH/READ/WRITE/MANAGE × default/dedicated × allocator/other: 0 violations", () => {
    const violations: string[] = [];
    let checks = 0;
    const check = (what: string, got: unknown, want: unknown): void => {
      checks++;
      if (got !== want) violations.push(`${what}: got ${String(got)}, want ${String(want)}`);
    };
    for (let granted = 0; granted < 16; granted++) {
      for (const mode of ["default", "dedicated"] as const) {
        for (const who of ["allocator", "other"] as const) {
          const { devices } = domainWith(3, 16);
          const [alloc, other, keeper] = devices as [typeof devices[0], typeof devices[0], typeof devices[0]];
          const token = allocToken(alloc, 100);
          expect(attach(keeper, token, R).ack).toBe(VIRTIO_ISM_OK); // keeps the region alive
          const target = who === "allocator" ? alloc : other;
          const grant = mode === "default" ? grantDefault(alloc, token, granted) : grantDevice(alloc, token, granted, target.devid);
          expect(grant.ack).toBe(VIRTIO_ISM_OK);
          // The allocator's dedicated set (READ|WRITE|ATTACH|MANAGE) hides any default from it.
          const effective = mode === "default" && who === "allocator" ? RWAM : granted;
          const defaults = mode === "default" ? granted : R | W | A;
          const name = `perm ${granted} ${mode} ${who}`;
          if (who === "allocator") expect(detach(alloc, token).ack).toBe(VIRTIO_ISM_OK);
          check(`${name} query`, query(target, token).decoded?.permissions, effective);
          for (let rw = 0; rw < 4; rw++) {
            const r = attach(target, token, rw);
            check(`${name} rw ${rw} attach ack`, r.ack, expectedAttachAck(effective, rw));
            if (r.ack !== VIRTIO_ISM_OK) {
              check(`${name} rw ${rw} refused attach leaves no mapping`, target.attachedRegions().length, 0);
              continue;
            }
            const handle = target.regionHandle(token)!;
            const access = rw & effective & (R | W);
            check(`${name} rw ${rw} access`, handle.effectivePermissions, access);
            check(`${name} rw ${rw} write refused`, denied(() => handle.write(handle.offset, Uint8Array.of(1))), !(access & W));
            check(`${name} rw ${rw} read refused`, denied(() => handle.read(handle.offset, 1)), !(access & R));
            check(`${name} rw ${rw} detach`, detach(target, token).ack, VIRTIO_ISM_OK);
          }
          // MANAGE: only a device that refers to the region can grant (ENOENT otherwise), and only with MANAGE.
          const attached = attach(target, token, 0).ack === VIRTIO_ISM_OK;
          const g = grantDefault(target, token, defaults);
          check(`${name} grant`, g.ack, !attached ? VIRTIO_ISM_ENOENT : effective & M ? VIRTIO_ISM_OK : VIRTIO_ISM_ERR);
        }
      }
    }
    expect(violations).toEqual([]);
    expect(checks).toBe(expectedCheckCount());
  });

  it("a read-only handle cannot write, even on a read-write mapping", () => {
    const { devices: [a] } = domainWith(1);
    const token = allocToken(a!, 64);
    const full = a!.regionHandle(token)!;
    const mapping = a!.memory.mappings[0]!;
    const ro = mapping.handle(REGION_PERM_READ);
    expect(denied(() => ro.write(ro.offset, Uint8Array.of(9)))).toBe(true);
    expect(denied(() => ro.writeRegion(0, Uint8Array.of(9)))).toBe(true);
    expect(full.read(full.offset, 1)).toEqual(Uint8Array.of(0)); // the refused writes wrote nothing
  });

  it("a device attached read-only cannot write the region through its handle", () => {
    const { devices: [a, b] } = domainWith(2);
    const token = allocToken(a!, 64);
    expect(attach(b!, token, R).ack).toBe(VIRTIO_ISM_OK);
    const h = b!.regionHandle(token)!;
    expect(denied(() => h.write(h.offset, Uint8Array.of(1)))).toBe(true);
    expect(denied(() => h.writeRegion(0, Uint8Array.of(1)))).toBe(true);
  });
});

/**
 * How many checks the matrix makes when the device follows the spec: per case a query and a grant check, and
 * per `rw_perm` the ack plus either the refused-attach check or four access checks. Asserting it proves the
 * matrix really ran every branch (a loop that silently skipped cases would report 0 violations too).
 */
function expectedCheckCount(): number {
  let n = 0;
  for (let granted = 0; granted < 16; granted++) {
    for (const mode of ["default", "dedicated"]) {
      for (const who of ["allocator", "other"]) {
        const effective = mode === "default" && who === "allocator" ? RWAM : granted;
        n += 2;
        for (let rw = 0; rw < 4; rw++) n += 1 + (expectedAttachAck(effective, rw) === VIRTIO_ISM_OK ? 4 : 1);
      }
    }
  }
  return n;
}
