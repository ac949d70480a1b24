/**
 * Command tables (generated `commands.ts`) through the runtime's generic `commandByCode` and `decodeCommand`:
 * a real v1.4 table (GPU), and every generated table checked against the IR it came from.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { gpuCommands } from "../../../generated/virtio-1.4/gpu/index.js";
import { decodeVirtioGpuResourceFlush } from "../../../generated/virtio-1.4/gpu/structs.js";
import { runFrontEnd } from "../../../grammar/pipeline.js";
import { CodecError, commandByCode, decodeCommand, type CommandTable } from "../../../runtime/codec/index.js";

describe("commandByCode and decodeCommand", () => {
  it("finds a command by its code and decodes its request with the command's codec", () => {
    expect(commandByCode(gpuCommands, 0x0104)?.name).toBe("VIRTIO_GPU_CMD_RESOURCE_FLUSH");
    expect(commandByCode(gpuCommands, 0x7777)).toBeUndefined();
    const bytes = new Uint8Array(48);
    new DataView(bytes.buffer).setUint32(0, 0x0104, true); // hdr.type
    new DataView(bytes.buffer).setUint32(40, 77, true); // resource_id, after hdr (24) and the rect (16)
    const { command, value } = decodeCommand(gpuCommands, "request", 0x0104, bytes);
    expect(command.name).toBe("VIRTIO_GPU_CMD_RESOURCE_FLUSH");
    expect(value).toEqual(decodeVirtioGpuResourceFlush(bytes));
    expect((value as { resource_id: number }).resource_id).toBe(77);
  });

  it("refuses an unknown code, a direction with no codec and a short buffer with CodecError", () => {
    const reason = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        if (e instanceof CodecError) return e.reason;
        throw e;
      }
      return "no error";
    };
    expect(reason(() => decodeCommand(gpuCommands, "request", 0x7777, new Uint8Array(64)))).toBe("unknown-command");
    const noRequest = Object.values(gpuCommands as CommandTable).find((e) => !e.request);
    expect(noRequest).toBeDefined();
    expect(reason(() => decodeCommand(gpuCommands, "request", noRequest!.code, new Uint8Array(64)))).toBe("unknown-command");
    expect(reason(() => decodeCommand(gpuCommands, "request", 0x0104, new Uint8Array(47)))).toBe("short-buffer");
  });
});

describe("a command whose request is a framing struct (virtio 1.4 block)", () => {
  it("decodes the driver-written header and the device-written status with the struct's two parts", async () => {
    const { blockCommands } = await import("../../../generated/virtio-1.4/block/index.js");
    const bytes = new Uint8Array(16 + 512);
    const dv = new DataView(bytes.buffer);
    dv.setUint32(0, 1, true); // type: VIRTIO_BLK_T_OUT
    dv.setBigUint64(8, 4096n, true); // sector
    const { command, value } = decodeCommand(blockCommands, "request", 1, bytes);
    expect(command.name).toBe("VIRTIO_BLK_T_OUT");
    expect(value).toMatchObject({ type: 1, reserved: 0, sector: 4096n });
    expect((value as { data: Uint8Array }).data.length).toBe(512);
    expect(decodeCommand(blockCommands, "reply", 1, Uint8Array.of(0)).value).toEqual({ status: 0 });
  });
});

describe("every generated command table says what the IR says", () => {
  const root = "generated/virtio-1.4";
  // The front end's IR of the tree generated/virtio-1.4 comes from (its ir.json snapshot keeps the devices' part only).
  const ir = runFrontEnd("spec/virtio-1.4").ir;
  const folders = readdirSync(root, { withFileTypes: true }).filter((d) => d.isDirectory() && existsSync(join(root, d.name, "commands.ts"))).map((d) => d.name);

  it("has a table for every device with commands and no control codec, and one for the admin virtqueue", () => {
    const withCommands = new Set(ir.commands.map((c) => c.device ?? "common"));
    const withControl = readdirSync(root).filter((d) => existsSync(join(root, d, "control.ts")));
    expect(folders.sort()).toEqual([...withCommands].filter((d) => !withControl.includes(d)).sort());
    expect(folders.length).toBeGreaterThanOrEqual(15);
  });

  it.each(folders)("%s: each entry's code, request and reply are the IR command's", async (folder) => {
    const mod = (await import(pathToFileURL(join(process.cwd(), root, folder, "commands.ts")).href)) as Record<string, CommandTable>;
    const tables = Object.values(mod);
    expect(tables.length).toBe(1);
    const entries = Object.values(tables[0]!);
    const irCommands = ir.commands.filter((c) => (c.device ?? "common") === folder);
    expect(entries.map((e) => e.name).sort()).toEqual(irCommands.filter((c) => c.value !== null).map((c) => c.name).sort());
    for (const e of entries) {
      const c = irCommands.find((x) => x.name === e.name)!;
      expect(e.code, e.name).toBe(c.value);
      // A framing request struct (virtio_blk_req) gives its driver-written part as the request and, when the
      // text names no reply, its device-written part as the reply.
      if (e.request) expect([c.request, `${c.request} (driver-written)`], e.name).toContain(e.request.schema.name);
      if (e.reply) expect(c.reply !== undefined ? [c.reply] : [`${c.request} (device-written)`], e.name).toContain(e.reply.schema.name);
      expect(commandByCode(tables[0]!, e.code, e.classCode)).toBe(e);
    }
  });
});
