/**
 * The guest-side transport of a guest running in a worker thread: the {@link IsmDriverTransport} whose device
 * runs in the host thread ({@link IsmHost}).
 *
 * - Queue notifications ring the host's wake-up doorbell (the host polls its devices when woken).
 * - Notify-area writes ring the region's doorbell in the device's notify area (shared memory, so the host sees
 *   which address was written), then the host's wake-up doorbell.
 * - Interrupts arrive on the shared interrupt table and line; the driver sleeps on the line.
 * - Activation and region windows are requests on the boot port, answered by the host.
 *
 * The boot block comes from another thread and is validated before use.
 *
 * @module
 */
import { workerData } from "node:worker_threads";
import type { MessagePort } from "node:worker_threads";
import { GuestMemory } from "../../memory/index.js";
import { Doorbell, DoorbellBank, InterruptTable, NotifyArea } from "../../notify/index.js";
import { RegionHandle } from "../../shm/index.js";
import { IsmDeviceStatus } from "../device-status.js";
import { IsmDriverError } from "../driver/index.js";
import type { IsmDriverRam, IsmDriverTransport, IsmQueueSetup } from "../driver/index.js";
import { GUEST_BOOT_KIND } from "./boot.js";
import type { GuestToHost, HostToGuest, IsmGuestBoot } from "./boot.js";

/** Distributes a request's `Omit` over the union members (TypeScript's `Omit` would merge them). */
type WithoutId<T> = T extends unknown ? Omit<T, "id"> : never;

/** A request waiting for the host's answer. */
interface PendingRequest {
  readonly resolve: (answer: HostToGuest) => void;
  readonly reject: (error: IsmDriverError) => void;
}

/** The transport of a worker guest; see the module comment. */
export class IsmWorkerTransport implements IsmDriverTransport {
  /** Guest name. */
  readonly name: string;
  /** Guest memory. */
  readonly memory: GuestMemory;
  /** The whole guest memory is the driver's. */
  readonly ram: IsmDriverRam;
  /** Offered features. */
  readonly deviceFeatures: bigint;
  /** The device's MSI-X table. */
  readonly interrupts: InterruptTable;
  /** The guest's interrupt line. */
  readonly interruptLine: Doorbell;
  /** The device-set status bits, shared with the host. */
  readonly deviceStatus: IsmDeviceStatus;
  /** The device runs in the host thread. */
  readonly inline = false;
  readonly #config: Uint8Array;
  readonly #hostWake: Doorbell;
  readonly #port: MessagePort;
  readonly #pending = new Map<number, PendingRequest>();
  #nextId = 1;
  #notifyArea: NotifyArea | undefined;
  #closed = false;
  #strayNotifies = 0;

  private constructor(boot: IsmGuestBoot) {
    this.name = boot.name;
    this.memory = GuestMemory.fromBuffer(boot.memory);
    this.ram = { base: 0, length: boot.memory.byteLength };
    this.deviceFeatures = boot.deviceFeatures;
    this.interrupts = InterruptTable.fromDescriptor(boot.interrupts);
    this.interruptLine = Doorbell.fromDescriptor(boot.interruptLine);
    this.#hostWake = Doorbell.fromDescriptor(boot.hostWake);
    this.deviceStatus = IsmDeviceStatus.fromDescriptor(boot.status);
    this.#config = boot.config.slice();
    this.#port = boot.port;
    this.#port.on("message", (message: unknown) => this.#answer(message));
    this.#port.unref();
  }

  /**
   * Builds the transport from a boot block received from the host.
   *
   * @throws IsmDriverError `invalid-argument` when the block is malformed
   */
  static fromBoot(boot: unknown): IsmWorkerTransport {
    const fail = (why: string): never => {
      throw new IsmDriverError("invalid-argument", `invalid guest boot block: ${why}`);
    };
    if (typeof boot !== "object" || boot === null) return fail("not an object");
    const b = boot as Partial<Record<keyof IsmGuestBoot, unknown>>;
    if (b.kind !== GUEST_BOOT_KIND || b.version !== 1) return fail("wrong kind or version");
    if (typeof b.name !== "string") return fail("no name");
    if (Object.prototype.toString.call(b.memory) !== "[object SharedArrayBuffer]") return fail("memory is not a SharedArrayBuffer");
    const memory = b.memory as SharedArrayBuffer;
    if (memory.byteLength < 4096 || memory.byteLength % 4096 !== 0) return fail("memory must be a positive multiple of 4096 bytes");
    if (typeof b.deviceFeatures !== "bigint") return fail("device features must be a bigint");
    if (!(b.config instanceof Uint8Array)) return fail("config must be a Uint8Array");
    if (typeof b.port !== "object" || b.port === null || typeof (b.port as { postMessage?: unknown }).postMessage !== "function") return fail("no port");
    try {
      return new IsmWorkerTransport(boot as IsmGuestBoot);
    } catch (cause) {
      throw new IsmDriverError("invalid-argument", `invalid guest boot block: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  /** Notify-area writes that reached no address (outside the area, or before activation). */
  get strayNotifies(): number {
    return this.#strayNotifies;
  }

  /** @returns the config space bytes */
  readConfig(): Uint8Array {
    return this.#config.slice();
  }

  /** Activates the device in the host; learns the notify area. */
  async activate(setup: IsmQueueSetup): Promise<void> {
    const answer = await this.#request({ op: "activate", features: setup.features, controlq: setup.controlq, eventq: setup.eventq });
    if (answer.op !== "activated") throw new IsmDriverError("activation-failed", `unexpected answer ${answer.op} to activate`);
    try {
      this.#notifyArea = new NotifyArea(DoorbellBank.fromDescriptor(answer.notifyBank), answer.notifySize);
    } catch (cause) {
      throw new IsmDriverError("activation-failed", `the host sent an unusable notify area: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  /** Asks the host to reset the device and waits for it. */
  async reset(): Promise<void> {
    const answer = await this.#request({ op: "reset" });
    if (answer.op !== "reset-done") throw new IsmDriverError("activation-failed", `unexpected answer ${answer.op} to reset`);
    this.#notifyArea = undefined;
  }

  /** Wakes the host. */
  notifyQueue(queue: number): void {
    void queue;
    this.#hostWake.ring();
  }

  /** Rings the notify address at `offset` and wakes the host. */
  writeNotify(offset: number): void {
    const area = this.#notifyArea;
    if (area === undefined || !Number.isSafeInteger(offset) || offset < 0 || offset >= area.byteLength) {
      this.#strayNotifies++;
      return;
    }
    area.kick(offset);
    this.#hostWake.ring();
  }

  /** Asks the host for the window on the mapping of `token` at `offset`. */
  async mapRegion(token: bigint, offset: number): Promise<RegionHandle | undefined> {
    const answer = await this.#request({ op: "map", token, offset });
    if (answer.op !== "mapped") throw new IsmDriverError("bad-reply", `unexpected answer ${answer.op} to map`);
    if (answer.window === null) return undefined;
    try {
      return RegionHandle.fromDescriptor(answer.window);
    } catch (cause) {
      throw new IsmDriverError("bad-reply", `the host sent an unusable region window: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
  }

  /** Closes the boot port; pending requests are rejected with `closed`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#port.close();
    const error = new IsmDriverError("closed", "the guest transport was closed");
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
  }

  #request(message: WithoutId<GuestToHost>): Promise<HostToGuest> {
    if (this.#closed) return Promise.reject(new IsmDriverError("closed", "the guest transport was closed"));
    const id = this.#nextId++;
    return new Promise<HostToGuest>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      // Keep the worker alive while an answer is due, and only then.
      if (this.#pending.size === 1) this.#port.ref();
      this.#port.postMessage({ ...message, id } as GuestToHost);
    });
  }

  #answer(message: unknown): void {
    if (typeof message !== "object" || message === null) return;
    const m = message as Partial<HostToGuest>;
    if (typeof m.id !== "number") return;
    const pending = this.#pending.get(m.id);
    if (pending === undefined) return;
    this.#pending.delete(m.id);
    if (this.#pending.size === 0) this.#port.unref();
    if (m.op === "error") {
      const reason = m.reason === "activation-failed" ? "activation-failed" : "bad-reply";
      pending.reject(new IsmDriverError(reason, `host: ${String(m.message)}`));
    } else {
      pending.resolve(m as HostToGuest);
    }
  }
}

/**
 * For a guest worker's entry file: the transport built from `workerData.boot`, and the program data the host
 * passed along (`workerData.data`).
 *
 * @throws IsmDriverError `invalid-argument` when the worker was not started by an {@link IsmHost}
 */
export function guestFromWorkerData(): { transport: IsmWorkerTransport; data: unknown } {
  const wd = workerData as { boot?: unknown; data?: unknown } | null;
  if (typeof wd !== "object" || wd === null) throw new IsmDriverError("invalid-argument", "this worker was not started by an IsmHost (no workerData)");
  return { transport: IsmWorkerTransport.fromBoot(wd.boot), data: wd.data };
}
