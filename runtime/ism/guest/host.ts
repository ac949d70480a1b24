/**
 * `IsmHost`: the host of a communication domain whose guests run in worker threads — the VMM side. It owns the
 * domain and, per guest, the guest memory, the device (core + virtqueue glue), its interrupt table and the
 * guest's interrupt line; it runs in the thread that creates it (typically the main thread).
 *
 * Polling on kicks: every guest rings one shared wake-up doorbell after each queue notification and notify-area
 * write (the stand-in for ioeventfds gathered in one epoll set). The host loop reads the doorbell, runs every
 * device until none has work, and sleeps in `Atomics.waitAsync` until the doorbell moves — so the host thread's
 * event loop stays free for messages and worker exits.
 *
 * Faults: when a guest's worker exits (normally, by crash or by `terminate()`), its device is retired — reset,
 * which detaches every region it referred to: its peers get DETACH with the new peer count, and a region's host
 * memory is released when nobody refers to it any more. The other guests go on.
 *
 * Guest requests on the boot port (activation, region windows) are validated: a malformed one gets an error
 * answer or is ignored, never a crash of the host.
 *
 * @module
 */
import { EventEmitter } from "node:events";
import { MessageChannel, Worker } from "node:worker_threads";
import type { MessagePort, ResourceLimits } from "node:worker_threads";
import type { IsmDeliveryReport, IsmDomainOptions } from "../domain.js";
import { IsmDomain } from "../domain.js";
import { GuestMemory } from "../../memory/index.js";
import { Doorbell } from "../../notify/index.js";
import type { RingAddresses } from "../../virtqueue/index.js";
import { IsmDriverError } from "../driver/index.js";
import { GUEST_BOOT_KIND } from "./boot.js";
import type { GuestToHost, HostToGuest, IsmGuestBoot } from "./boot.js";
import { HostedDevice } from "./hosted-device.js";
import { regionWindowDescriptor } from "./region-window.js";

/** Options of {@link IsmHost}. */
export interface IsmHostOptions {
  /** `chunk_size` of the domain (default 4096). */
  readonly chunkSize?: number;
  /** `notify_size` (default the domain's). */
  readonly notifySize?: number;
  /** Host memory for DEV_MEM regions (default unlimited). */
  readonly hostMemoryCapacity?: number;
  /** Random source (default CSPRNG). */
  readonly random?: IsmDomainOptions["random"];
  /**
   * After handling a burst of kicks, poll the wake-up doorbell for this many nanoseconds before sleeping
   * (default 0). Kicks come in bursts while guests wake each other; catching the next one by polling saves the
   * `Atomics.waitAsync` wake-up of the host thread (tens of microseconds). The host only spins after it was
   * woken, i.e. while guests sleep rather than spin, so it does not compete with spinning guests for cores.
   */
  readonly pollSpinNanoseconds?: number;
}

/** Options of {@link IsmHost.spawn}. */
export interface IsmSpawnOptions {
  /** Guest name (unique in the host). */
  readonly name: string;
  /** Chunk slots of the guest's device memory (default 1024). */
  readonly chunkCount?: number;
  /** Whether the device offers `VIRTIO_ISM_F_DEV_MEM` (default true). */
  readonly offerDevMem?: boolean;
  /** Whether the device offers `VIRTIO_F_RING_PACKED`, so a driver may lay its queues out as packed rings (default false). */
  readonly offerPackedRing?: boolean;
  /** Bytes of guest memory, a multiple of 4096 (default 4 MiB). */
  readonly memoryBytes?: number;
  /** Passed to the guest program as `workerData.data` (structured clone). */
  readonly data?: unknown;
  /** Worker resource limits. */
  readonly resourceLimits?: ResourceLimits;
}

/** What happened when a guest went away. */
export interface IsmGuestExit {
  /** Guest name. */
  readonly name: string;
  /** Its device id. */
  readonly devid: bigint;
  /** The worker's exit code. */
  readonly exitCode: number;
  /** Tokens of the regions the guest still referred to (now detached). */
  readonly detached: readonly bigint[];
  /** What the delivery of the resulting events did. */
  readonly delivery: IsmDeliveryReport;
  /** The uncaught error that ended the worker, if one did. */
  readonly error: Error | undefined;
}

/** Events of an {@link IsmHost}. */
export interface IsmHostEvents {
  /** A guest's worker exited and its device was retired. */
  exit: [IsmGuestExit];
  /** A guest sent a malformed request on its boot port (ignored or answered with an error). */
  "bad-request": [{ readonly name: string; readonly detail: string }];
}

/** A guest of an {@link IsmHost}. */
export class IsmHostedGuest {
  /** The worker running the guest program. */
  readonly worker: Worker;
  /** The host's side of the guest's device. */
  readonly hosted: HostedDevice;
  /** Resolves with the exit code once the worker exited and the device was retired. */
  readonly exited: Promise<number>;

  /** Internal: made by {@link IsmHost.spawn}. */
  constructor(worker: Worker, hosted: HostedDevice, exited: Promise<number>) {
    this.worker = worker;
    this.hosted = hosted;
    this.exited = exited;
  }

  /** Guest name. */
  get name(): string {
    return this.hosted.name;
  }

  /** The guest's device id. */
  get devid(): bigint {
    return this.hosted.core.devid;
  }
}

/** Default bytes of guest memory of a worker guest. */
export const DEFAULT_WORKER_GUEST_MEMORY_BYTES = 4 << 20;

/** The host of worker guests; see the module comment. */
export class IsmHost extends EventEmitter<IsmHostEvents> {
  /** The communication domain. */
  readonly domain: IsmDomain;
  readonly #wake = Doorbell.create();
  readonly #guests = new Map<string, IsmHostedGuest>();
  readonly #pollSpinMs: number;
  #running = false;
  #loop: Promise<void> | undefined;
  #polls = 0;

  /** @throws IsmError for bad domain options; IsmDriverError `invalid-argument` for a bad spin budget */
  constructor(options: IsmHostOptions = {}) {
    super();
    const spin = options.pollSpinNanoseconds ?? 0;
    if (!Number.isFinite(spin) || spin < 0) throw new IsmDriverError("invalid-argument", `pollSpinNanoseconds must be a non-negative number, got ${String(spin)}`);
    this.#pollSpinMs = spin / 1e6;
    this.domain = new IsmDomain({
      chunkSize: options.chunkSize ?? 4096,
      ...(options.notifySize === undefined ? {} : { notifySize: options.notifySize }),
      ...(options.hostMemoryCapacity === undefined ? {} : { hostMemoryCapacity: options.hostMemoryCapacity }),
      ...(options.random === undefined ? {} : { random: options.random }),
    });
  }

  /** Guests, by name (retired ones included). */
  get guests(): ReadonlyMap<string, IsmHostedGuest> {
    return this.#guests;
  }

  /** Times the host loop ran the devices. */
  get polls(): number {
    return this.#polls;
  }

  /**
   * Starts a guest: creates its memory and device, then a worker running `entry` with the boot block in
   * `workerData.boot` (see `guestFromWorkerData`).
   *
   * @throws IsmDriverError `invalid-argument` (name taken, bad memory size); IsmError (device geometry)
   */
  spawn(entry: URL | string, options: IsmSpawnOptions): IsmHostedGuest {
    if (typeof options.name !== "string" || options.name === "" || this.#guests.has(options.name)) {
      throw new IsmDriverError("invalid-argument", `guest name ${String(options.name)} is empty or taken`);
    }
    const bytes = options.memoryBytes ?? DEFAULT_WORKER_GUEST_MEMORY_BYTES;
    if (!Number.isSafeInteger(bytes) || bytes < 4096 || bytes % 4096 !== 0) {
      throw new IsmDriverError("invalid-argument", `guest memory must be a positive multiple of 4096 bytes, got ${String(bytes)}`);
    }
    const buffer = new SharedArrayBuffer(bytes);
    const hosted = new HostedDevice(this.domain, options.name, GuestMemory.fromBuffer(buffer), {
      chunkCount: options.chunkCount ?? 1024,
      offerDevMem: options.offerDevMem ?? true,
      offerPackedRing: options.offerPackedRing ?? false,
    });
    const channel = new MessageChannel();
    const boot: IsmGuestBoot = {
      kind: GUEST_BOOT_KIND,
      version: 1,
      name: options.name,
      memory: buffer,
      deviceFeatures: hosted.deviceFeatures,
      config: hosted.core.configBytes(),
      interrupts: hosted.interrupts.toDescriptor(),
      interruptLine: hosted.interrupts.line.toDescriptor(),
      status: hosted.status.toDescriptor(),
      hostWake: this.#wake.toDescriptor(),
      port: channel.port2,
    };
    const hostPort = channel.port1;
    hostPort.on("message", (message: unknown) => this.#onRequest(hosted, hostPort, message));
    // The port must not keep the host alive by itself: the worker does while it runs.
    hostPort.unref();
    const worker = new Worker(entry, {
      workerData: { boot, data: options.data },
      transferList: [channel.port2],
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    let uncaught: Error | undefined;
    const exited = new Promise<number>((resolve) => {
      worker.once("exit", (code) => {
        hostPort.close();
        this.#retire(hosted, code, uncaught);
        resolve(code);
      });
    });
    // An uncaught error in the guest ends the worker; the exit handler retires it and reports the error.
    // Listening here keeps the error from being rethrown in the host thread (one guest must not stop the host).
    worker.on("error", (error) => {
      uncaught = error;
    });
    const guest = new IsmHostedGuest(worker, hosted, exited);
    this.#guests.set(options.name, guest);
    return guest;
  }

  /** Starts the polling loop (idempotent). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops the polling loop (guests keep running but their devices are no longer served). */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#wake.ring();
    await this.#loop;
  }

  /** Terminates every guest, waits for their retirement, then stops the loop. */
  async shutdown(): Promise<void> {
    const exits = [...this.#guests.values()].map(async (g) => {
      await g.worker.terminate();
      await g.exited;
    });
    await Promise.all(exits);
    await this.stop();
  }

  /**
   * Runs every active device until none has work left.
   *
   * @returns units of work done
   */
  runDevices(): number {
    let total = 0;
    for (;;) {
      let round = 0;
      for (const g of this.#guests.values()) round += g.hosted.poll();
      total += round;
      if (round === 0) return total;
    }
  }

  async #run(): Promise<void> {
    const wake = this.#wake;
    while (this.#running) {
      // Read the doorbell before looking for work: a ring during the poll makes the wait return at once.
      const seen = wake.load();
      this.#polls++;
      this.runDevices();
      if (!this.#running) break;
      if (this.#pollSpinMs > 0 && this.#spinFor(seen)) continue;
      await wake.waitAsync(seen);
    }
  }

  /** @returns whether the wake-up doorbell moved from `seen` within the poll spin budget */
  #spinFor(seen: number): boolean {
    const wake = this.#wake;
    const start = performance.now();
    do {
      for (let i = 0; i < 64; i++) if (wake.load() !== seen) return true;
    } while (performance.now() - start < this.#pollSpinMs);
    return false;
  }

  #retire(hosted: HostedDevice, exitCode: number, error: Error | undefined): void {
    const detached = hosted.core.attachedRegions().map((r) => r.token);
    const delivery = this.domain.deliver(hosted.retire());
    this.runDevices();
    this.emit("exit", { name: hosted.name, devid: hosted.core.devid, exitCode, detached, delivery, error });
  }

  #onRequest(hosted: HostedDevice, port: MessagePort, message: unknown): void {
    const bad = (detail: string): void => {
      this.emit("bad-request", { name: hosted.name, detail });
    };
    if (typeof message !== "object" || message === null) return bad("not an object");
    const m = message as Partial<Record<string, unknown>>;
    const id = m.id;
    if (typeof id !== "number" || !Number.isSafeInteger(id)) return bad("no request id");
    const answer = (reply: HostToGuest): void => {
      port.postMessage(reply);
    };
    const refuse = (reason: string, text: string): void => {
      bad(text);
      answer({ op: "error", id, reason, message: text });
    };
    if (m.op === "activate") {
      if (typeof m.features !== "bigint" || !isRing(m.controlq) || !isRing(m.eventq)) return refuse("activation-failed", "malformed activate request");
      const request = m as GuestToHost & { op: "activate" };
      try {
        this.domain.deliver(hosted.activate({ features: request.features, controlq: request.controlq, eventq: request.eventq }));
      } catch (error) {
        return refuse("activation-failed", error instanceof Error ? error.message : String(error));
      }
      const device = hosted.device!;
      answer({ op: "activated", id, notifyBank: device.notifyArea.bank.toDescriptor(), notifySize: device.notifyArea.notifySize });
      // The driver may have posted buffers before activation answered; look at them now.
      this.#wake.ring();
      return;
    }
    if (m.op === "reset") {
      try {
        this.domain.deliver(hosted.reset());
      } catch (error) {
        return refuse("activation-failed", error instanceof Error ? error.message : String(error));
      }
      this.runDevices();
      answer({ op: "reset-done", id });
      return;
    }
    if (m.op === "map") {
      if (typeof m.token !== "bigint" || typeof m.offset !== "number") return refuse("bad-request", "malformed map request");
      answer({ op: "mapped", id, window: hosted.retired ? null : (regionWindowDescriptor(hosted.core, m.token, m.offset) ?? null) });
      return;
    }
    refuse("bad-request", `unknown request ${String(m.op)}`);
  }
}

/** @returns whether `value` looks like ring addresses (the device validates them completely) */
function isRing(value: unknown): value is RingAddresses {
  if (typeof value !== "object" || value === null) return false;
  const r = value as Record<string, unknown>;
  if (r.layout === "packed") return ["size", "descAddress", "driverEventAddress", "deviceEventAddress"].every((k) => typeof r[k] === "number");
  return r.layout === undefined && ["size", "descAddress", "availAddress", "usedAddress"].every((k) => typeof r[k] === "number");
}
