/**
 * The IR snapshot `generate` keeps beside a generated folder, and the one-line summary it prints from it.
 */
import { describe, expect, it } from "vitest";
import { changeSummary, snapshotIR } from "../../../grammar/diff/snapshot.js";
import type { SpecIR } from "../../../grammar/ir/types.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";

describe("IR snapshot of a generated folder", () => {
  const ir = runFrontEnd("spec/seeds/virtio-ism-v3.mail.txt", { base: "spec/base-985bbf3" }).ir;
  const snap = snapshotIR(ir, { devices: ["ism"] });

  it("keeps the selected device's structs, constants and commands, and no requirements", () => {
    expect(snap.devices.map((d) => d.slug)).toEqual(["ism"]);
    expect(snap.structs.every((s) => s.device === "ism")).toBe(true);
    expect(snap.structs.map((s) => s.name)).toContain("virtio_ism_config");
    expect(snap.commands.length).toBe(ir.commands.filter((c) => c.device === "ism").length);
    expect(snap.requirements).toEqual([]);
    expect(changeSummary(snap, snapshotIR(ir, { devices: ["ism"] }), ["ism"])).toBe("ism: none");
  });

  it("says how many wire and api changes each device has", () => {
    const changed = JSON.parse(JSON.stringify(snap)) as SpecIR;
    const cfg = changed.structs.find((s) => s.name === "virtio_ism_config")!;
    cfg.fields[0]!.name = "renamed_field"; // api
    const cmd = changed.commands[0]!;
    cmd.value = (cmd.value ?? 0) + 100; // wire
    expect(changeSummary(snap, changed, ["ism"])).toBe("ism: 1 wire, 1 api");
  });

  it("for a tree of many devices, names only the devices that changed", () => {
    const devices = ["ism", "a", "b", "c", "d"];
    expect(changeSummary(snap, snap, devices)).toBe("none in 5 devices");
    const changed = JSON.parse(JSON.stringify(snap)) as SpecIR;
    changed.structs.find((s) => s.name === "virtio_ism_config")!.fields[0]!.name = "renamed_field";
    expect(changeSummary(snap, changed, devices)).toBe("ism: 0 wire, 1 api; 4 other devices: none");
  });

  it("of a split tree keeps what belongs to no device too, so a change to an admin command is summarised under common", () => {
    const v14 = runFrontEnd("spec/virtio-1.4").ir;
    const slugs = v14.devices.map((d) => d.slug);
    const all = { devices: slugs, structs: v14.structs.map((x) => x.name) };
    const admin = v14.commands.filter((c) => c.device === undefined).length;
    expect(admin).toBeGreaterThan(0);
    expect(snapshotIR(v14, all).commands.length).toBe(v14.commands.length - admin);
    const whole = snapshotIR(v14, { ...all, deviceIndependent: true });
    expect(whole.commands.length).toBe(v14.commands.length);
    const changed = JSON.parse(JSON.stringify(whole)) as SpecIR;
    const cmd = changed.commands.find((c) => c.device === undefined)!;
    cmd.value = (cmd.value ?? 0) + 1000;
    expect(changeSummary(whole, changed, slugs)).toMatch(/^common: 1 wire, 0 api; 23 other devices: none$/);
  });
});
