/**
 * The stand-in vhost-pci-net device the example checks run against: its refusals are typed and leave state
 * unchanged, so a check failing means the rule was broken, not that the fake crashed.
 */
import { describe, expect, it } from "vitest";
import { FakePeerDevice, FakePeerError } from "./fakes/peer-common-cfg.js";

function reason(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof FakePeerError) return e.reason;
    throw e;
  }
  return "no error";
}

describe("FakePeerDevice", () => {
  const peer = { rxQueueGsis: [1, 2], uuid: 5n };

  it("refuses accesses that hit no whole register", () => {
    const dev = new FakePeerDevice({ pvInterrupt: false });
    expect(reason(() => dev.driverRead(57, 1))).toBe("no-register");
    expect(reason(() => dev.driverRead(56, 4))).toBe("no-register");
    expect(reason(() => dev.driverWrite(82, 2, 0))).toBe("no-register");
    expect(reason(() => dev.driverWrite(-2, 2, 0))).toBe("no-register");
  });

  it("refuses values of the wrong kind or range without changing the register", () => {
    const dev = new FakePeerDevice({ pvInterrupt: false });
    expect(reason(() => dev.driverWrite(60, 2, 0x10000))).toBe("bad-value");
    expect(reason(() => dev.driverWrite(60, 2, 1n))).toBe("bad-value");
    expect(reason(() => dev.driverWrite(32, 8, 1))).toBe("bad-value");
    expect(dev.driverRead(60, 2)).toBe(0);
  });

  it("refuses a driver write of 1 to peer_connection, and ignores 0 when not connected", () => {
    const dev = new FakePeerDevice({ pvInterrupt: false });
    expect(reason(() => dev.driverWrite(56, 2, 1))).toBe("bad-value");
    dev.driverWrite(56, 2, 0);
    expect(dev.events).toEqual([]);
    dev.connectPeer(peer);
    expect(reason(() => dev.driverWrite(56, 2, 1))).toBe("bad-value");
    expect(dev.driverRead(56, 2)).toBe(1);
  });

  it("refuses a peer the registers cannot describe", () => {
    const dev = new FakePeerDevice({ pvInterrupt: false });
    expect(reason(() => dev.connectPeer({ rxQueueGsis: [2 ** 32], uuid: 1n }))).toBe("peer-invalid");
    expect(reason(() => dev.connectPeer({ rxQueueGsis: [1], uuid: 1n << 128n }))).toBe("peer-invalid");
    expect(reason(() => dev.connectPeer({ rxQueueGsis: [1], uuid: -1n }))).toBe("peer-invalid");
    expect(dev.events).toEqual([]);
    expect(dev.driverRead(56, 2)).toBe(0);
  });

  it("shows GSI 0 for a selected queue the peer does not have, and an empty window past the offered features", () => {
    const dev = new FakePeerDevice({ pvInterrupt: true });
    dev.connectPeer(peer);
    dev.driverWrite(60, 2, 7);
    expect(dev.driverRead(62, 4)).toBe(0);
    dev.driverWrite(0, 4, 0xffff_ffff);
    expect(dev.driverRead(4, 4)).toBe(0);
  });
});
