/**
 * A two-way mailbox in shared memory for request/response traffic (ping-pong): one slot per direction, each
 * carrying one message at a time.
 *
 * Layout of a slot (byte offsets from the slot start; one 64-byte line per word written by a different side):
 * - `+0`   SEQ (int32, written by the sender: sequence number of the message in the slot)
 * - `+4`   LEN (int32, written by the sender: payload bytes)
 * - `+64`  WAITING (int32, written by the receiver: 1 while it sleeps, so the sender knows to wake it)
 * - `+68`  ACK (int32, written by the receiver: sequence number of the last message it consumed)
 * - `+128` payload (`maxMessage` bytes)
 *
 * Side 0 sends in slot 0 and receives in slot 1; side 1 the reverse. The payload is copied with plain stores
 * and published by the Atomics store of SEQ (release); the receiver's Atomics load of SEQ (acquire) orders its
 * payload reads after it. Only SEQ, LEN and WAITING are touched with Atomics.
 *
 * The peer may be hostile: a LEN beyond `maxMessage` is refused (`bad-reply`), never followed.
 *
 * @module
 */
import { IsmDriverError } from "../../driver/index.js";
import type { PeerSignal } from "./signal.js";
import { SpinWaiter } from "./spin.js";
import type { WaitBudget } from "./spin.js";

const SEQ = 0;
const LEN = 1;
const WAITING = 16;
const ACK = 17;
const PAYLOAD_BYTES_OFFSET = 128;

/** @returns bytes one mailbox with messages of up to `maxMessage` bytes takes */
export function mailboxBytes(maxMessage: number): number {
  return 2 * slotBytes(maxMessage);
}

function slotBytes(maxMessage: number): number {
  return PAYLOAD_BYTES_OFFSET + Math.ceil(maxMessage / 64) * 64;
}

/** One side of a mailbox; see the module comment. */
export class Mailbox {
  /** Largest message. */
  readonly maxMessage: number;
  readonly #words: Int32Array;
  readonly #bytes: Uint8Array;
  readonly #signal: PeerSignal;
  readonly #waiter: SpinWaiter;
  /** Word index of my send slot and of my receive slot. */
  readonly #out: number;
  readonly #in: number;
  readonly #outPayload: number;
  readonly #inPayload: number;
  #sent = 0;
  #received = 0;
  /** Views reused across messages of the same length (see {@link PrefixViews}). */
  readonly #outSource = new PrefixViews();
  readonly #inSource = new PrefixViews();

  /**
   * @param memory - the shared bytes (`words` must view the same buffer from byte 0)
   * @param base - byte offset of the mailbox, a multiple of 64
   * @param side - 0 or 1
   * @throws IsmDriverError `invalid-argument` when the mailbox does not fit or is misaligned
   */
  constructor(
    memory: { readonly bytes: Uint8Array; readonly words: Int32Array },
    base: number,
    side: 0 | 1,
    maxMessage: number,
    signal: PeerSignal,
    budget: WaitBudget,
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || base % 64 !== 0) throw new IsmDriverError("invalid-argument", `mailbox base ${String(base)} is not a multiple of 64`);
    if (!Number.isSafeInteger(maxMessage) || maxMessage < 1 || maxMessage > 1 << 20) throw new IsmDriverError("invalid-argument", `message size ${String(maxMessage)} out of range`);
    const end = base + mailboxBytes(maxMessage);
    if (end > memory.bytes.length || end > memory.words.length * 4 || memory.bytes.byteOffset !== 0 || memory.words.byteOffset !== 0) {
      throw new IsmDriverError("invalid-argument", `a mailbox of ${mailboxBytes(maxMessage)} bytes at ${base} does not fit in ${memory.bytes.length} bytes`);
    }
    const slot = slotBytes(maxMessage);
    const outBase = base + side * slot;
    const inBase = base + (1 - side) * slot;
    this.maxMessage = maxMessage;
    this.#words = memory.words;
    this.#bytes = memory.bytes;
    this.#signal = signal;
    this.#waiter = new SpinWaiter(budget);
    this.#out = outBase / 4;
    this.#in = inBase / 4;
    this.#outPayload = outBase + PAYLOAD_BYTES_OFFSET;
    this.#inPayload = inBase + PAYLOAD_BYTES_OFFSET;
    // Resume from the words this side owns (a mailbox may be reopened on the same region): what it sent last,
    // and what it acknowledged last. Reading the peer's SEQ instead would race with the peer's first message.
    this.#sent = Atomics.load(this.#words, this.#out + SEQ);
    this.#received = Atomics.load(this.#words, this.#in + ACK);
  }

  /**
   * Posts the first `length` bytes of `message` (the previous one must have been consumed: request/response
   * use).
   *
   * @throws IsmDriverError `invalid-argument` when the message is too long or `length` is out of range
   */
  send(message: Uint8Array, length = message.length): void {
    if (!Number.isSafeInteger(length) || length < 0 || length > message.length) throw new IsmDriverError("invalid-argument", `length ${String(length)} is not within the ${message.length}-byte message`);
    if (length > this.maxMessage) throw new IsmDriverError("invalid-argument", `message of ${length} bytes > ${this.maxMessage}`);
    const words = this.#words;
    this.#bytes.set(length === message.length ? message : this.#outSource.of(message, length), this.#outPayload);
    Atomics.store(words, this.#out + LEN, length);
    this.#sent = (this.#sent + 1) | 0;
    Atomics.store(words, this.#out + SEQ, this.#sent);
    if (Atomics.load(words, this.#out + WAITING) !== 0) this.#signal.wake();
  }

  /**
   * Waits for the next message and copies it into `target`.
   *
   * @returns the message length
   * @throws IsmDriverError `timeout`, `bad-reply` (length out of range), `invalid-argument` (target too small)
   */
  receive(target: Uint8Array): number {
    const words = this.#words;
    const expected = (this.#received + 1) | 0;
    let seq = Atomics.load(words, this.#in + SEQ);
    while (seq !== expected) seq = this.#waiter.wait(words, this.#in + SEQ, seq, this.#in + WAITING, this.#signal);
    this.#received = expected;
    const length = Atomics.load(words, this.#in + LEN);
    if (length < 0 || length > this.maxMessage) throw new IsmDriverError("bad-reply", `peer posted a ${length}-byte message (max ${this.maxMessage})`);
    if (length > target.length) throw new IsmDriverError("invalid-argument", `a ${length}-byte message does not fit a ${target.length}-byte target`);
    target.set(this.#inSource.of(this.#bytes, length, this.#inPayload));
    Atomics.store(words, this.#in + ACK, expected);
    return length;
  }
}

/**
 * The `length`-byte view at `offset` of a buffer, kept while the buffer, offset and length repeat: a fresh
 * `subarray` per message is garbage, and the scavenges it causes every few ten thousand round trips stall both
 * spinning sides for milliseconds (measured: they set the p99 of test/bench/ism-bench.mjs). A byte loop
 * allocates nothing but is 5x slower than `set` on shared memory.
 */
class PrefixViews {
  #buffer: Uint8Array<ArrayBufferLike> | undefined;
  #offset = 0;
  #view: Uint8Array<ArrayBufferLike> = new Uint8Array(0);

  of(buffer: Uint8Array<ArrayBufferLike>, length: number, offset = 0): Uint8Array<ArrayBufferLike> {
    if (buffer !== this.#buffer || offset !== this.#offset || length !== this.#view.length) {
      this.#buffer = buffer;
      this.#offset = offset;
      this.#view = buffer.subarray(offset, offset + length);
    }
    return this.#view;
  }
}
