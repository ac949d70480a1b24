/**
 * Command tables: what a generated `commands.ts` exports for a device whose commands each carry structs of
 * their own (GPU, crypto, sound, block, the admin virtqueue …) rather than one framing struct with a payload.
 * The table is plain data, one entry per command; these generic functions find a command by its code and
 * decode what it carries, refusing an unknown code with a {@link CodecError} like every decoder.
 *
 * @module
 */
import { CodecError } from "./errors.js";
import type { CodecOptions, StructCodec } from "./schema.js";

/** One command of a device: its spec name and code, and the codecs of the structs it carries. */
export interface CommandEntry {
  /** Spec name (`VIRTIO_GPU_CMD_RESOURCE_FLUSH`). */
  readonly name: string;
  /** The code that identifies the command on the wire. */
  readonly code: number;
  /** The class code, for devices whose codes are numbered within classes. */
  readonly classCode?: number;
  /** What the driver sends, when the spec ties a struct with a codec to the command. */
  readonly request?: StructCodec<unknown, never>;
  /** What the device returns, when the spec ties a struct with a codec to the command. */
  readonly reply?: StructCodec<unknown, never>;
  /** The struct that carries the code, when it is not the request itself (the request embeds it, or every request of the device begins with it). */
  readonly header?: StructCodec<unknown, never>;
  /** Label of the spec section that describes the command. */
  readonly section: string;
  /** Where the spec defines the code (`file.tex:line`). */
  readonly source: string;
}

/** A device's commands by short key (`RESOURCE_FLUSH`). */
export type CommandTable = Readonly<Record<string, CommandEntry>>;

const indexes = new WeakMap<CommandTable, Map<string, CommandEntry>>();

function indexOf(table: CommandTable): Map<string, CommandEntry> {
  let m = indexes.get(table);
  if (!m) {
    m = new Map();
    for (const e of Object.values(table)) m.set(`${e.classCode ?? ""}/${e.code}`, e);
    indexes.set(table, m);
  }
  return m;
}

/**
 * The entry of `table` whose code is `code` (and class `classCode`, for tables numbered within classes), or
 * undefined.
 */
export function commandByCode<T extends CommandTable>(table: T, code: number, classCode?: number): T[keyof T] | undefined {
  return indexOf(table).get(`${classCode ?? ""}/${code}`) as T[keyof T] | undefined;
}

/** What {@link decodeCommand} returns: the command, and the struct decoded with its codec. */
export interface DecodedCommand<E extends CommandEntry = CommandEntry> {
  command: E;
  value: unknown;
}

/**
 * Decodes the request (or reply) of the command whose code is `code` at `offset`. Throws {@link CodecError}:
 * `unknown-command` for a code the table does not hold or a command with no codec for that direction, else as
 * the struct's decoder.
 */
export function decodeCommand<T extends CommandTable>(
  table: T,
  direction: "request" | "reply",
  code: number,
  bytes: Uint8Array,
  offset = 0,
  options?: CodecOptions & { classCode?: number },
): DecodedCommand<T[keyof T]> {
  const command = commandByCode(table, code, options?.classCode);
  if (!command) throw new CodecError("unknown-command", { struct: "command table", offset }, `command code ${String(code)}${options?.classCode !== undefined ? ` (class ${options.classCode})` : ""} is not in the table`);
  const codec = command[direction];
  if (!codec) throw new CodecError("unknown-command", { struct: command.name, offset }, `${command.name}: the spec ties no ${direction} struct with a codec to this command`);
  return { command, value: codec.decode(bytes, offset, options) };
}
