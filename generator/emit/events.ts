/**
 * events.ts of a generated folder: per device with an event queue, the discriminated union of its events
 * and decoders for one event or a buffer of events back to back, keyed on the discriminator field.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import { propKey } from "../names.js";
import type { EventsPlan } from "../plan/events.js";
import { writeDoc } from "./doc.js";
import { structNames } from "./structs.js";
import { isBigWire, plus, readExpr } from "./wire-expr.js";

/** Generated names of one device's event API. */
export function eventNames(e: EventsPlan) {
  return {
    union: `${e.prefix}Event`,
    input: `${e.prefix}EventInput`,
    decodeOne: `decode${e.prefix}Event`,
    decodeAll: `decode${e.prefix}Events`,
    encode: `encode${e.prefix}Event`,
    lengthOf: `lengthOf${e.prefix}Event`,
    at: `${e.prefix.charAt(0).toLowerCase()}${e.prefix.slice(1)}EventAt`,
  };
}

/** Writes the event API of one device. */
export function writeEvents(w: CodeBlockWriter, e: EventsPlan): void {
  const n = eventNames(e);
  const d = e.discriminator;
  const label = JSON.stringify(`${e.device.slug} event`);
  const lit = (v: number): string => (isBigWire(d.wire) ? `${v}n` : String(v));
  const discEnd = d.staticOffset! + d.size!;
  writeDoc(w, [
    `An event of device \`${e.device.slug}\`, discriminated by \`type\` (the short name of the \`${d.name}\` value). The event struct's own \`${d.name}\` field holds the wire value.`,
    ...e.members.map((m) => `- \`${m.key}\`: \`${m.name}\` = ${m.value}, struct \`${m.struct.name}\`${m.presence ? ` (only if ${m.presence.feature} is ${m.presence.negotiated ? "" : "not "}negotiated)` : ""}.`),
  ]);
  w.writeLine(`export type ${n.union} =`);
  w.indent(() => {
    for (const m of e.members) w.writeLine(`| { type: ${JSON.stringify(m.key)}; event: ${m.struct.typeName} }`);
  });
  w.writeLine(";");
  w.blankLine();
  writeDoc(w, [`What {@link ${n.encode}} accepts: the event without its \`${d.name}\` field, which encode sets from \`type\`.`]);
  w.writeLine(`export type ${n.input} =`);
  w.indent(() => {
    for (const m of e.members) w.writeLine(`| { type: ${JSON.stringify(m.key)}; event: Omit<${m.struct.inputName}, ${JSON.stringify(d.key)}> }`);
  });
  w.writeLine(";");
  w.blankLine();

  writeDoc(w, ["Decodes the event at `p` and returns it with its length."]);
  w.writeLine(`function ${n.at}(b: Uint8Array, p: number, options: CodecOptions | undefined): [${n.union}, number] {`);
  w.indent(() => {
    w.writeLine(`if (!fits(p, ${discEnd}, b.length)) throw new CodecError(Number.isSafeInteger(p) && p >= 0 ? "short-buffer" : "bad-offset", { struct: ${label}, field: ${JSON.stringify(d.name)}, offset: p, needed: ${discEnd}, available: Math.max(0, b.length - p) });`);
    if (e.members.some((m) => m.presence)) w.writeLine("const features = options?.features ?? 0n;");
    w.writeLine(`const t = ${readExpr(d.wire, plus("p", d.staticOffset!))};`);
    w.writeLine("switch (t) {");
    w.indent(() => {
      const byValue = new Map<number, typeof e.members>();
      for (const m of e.members) byValue.set(m.value, [...(byValue.get(m.value) ?? []), m]);
      for (const [value, members] of byValue) {
        const m = members[0]!;
        const s = structNames(m.struct);
        w.writeLine(`case ${lit(value)}: {`);
        w.indent(() => {
          if (m.presence) {
            const mask = `0x${(1n << BigInt(m.presence.bit)).toString(16)}n`;
            w.writeLine(`if ((features & ${mask}) ${m.presence.negotiated ? "===" : "!=="} 0n) break;`);
          }
          w.writeLine(`const event = ${s.decode}(b, p, options);`);
          w.writeLine(`return [{ type: ${JSON.stringify(m.key)}, event }, ${s.lengthOf}(event, options, p)];`);
        });
        w.writeLine("}");
      }
    });
    w.writeLine("}");
    w.writeLine(`throw new CodecError("unknown-discriminator", { struct: ${label}, field: ${JSON.stringify(d.name)}, offset: p }, \`${e.device.slug} event: ${d.name} \${String(t)} is not an event the spec defines (under these features)\`);`);
  });
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [
    `Decodes one \`${e.device.slug}\` event at \`offset\`.`,
    "Throws {@link CodecError}: `unknown-discriminator` for a type the spec does not define (or not under the negotiated features), else as the event struct's decoder.",
    "@param bytes - the buffer",
    "@param offset - where the event starts",
    "@param options - `features`: the negotiated feature bits",
  ]);
  w.writeLine(`export function ${n.decodeOne}(bytes: Uint8Array, offset = 0, options?: CodecOptions): ${n.union} {`);
  w.indent(() => w.writeLine(`return ${n.at}(bytes, offset, options)[0];`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [
    `Decodes a buffer holding \`${e.device.slug}\` events back to back (e.g. one eventq buffer), in order.`,
    `Throws {@link CodecError} for a trailing fragment (\`short-buffer\`) or an unknown type (\`unknown-discriminator\`); returns nothing partial.`,
    "@param bytes - the bytes the device wrote (exactly the used length)",
    "@param options - `features`: the negotiated feature bits",
  ]);
  w.writeLine(`export function ${n.decodeAll}(bytes: Uint8Array, options?: CodecOptions): ${n.union}[] {`);
  w.indent(() => {
    w.writeLine(`const out: ${n.union}[] = [];`);
    w.writeLine("for (let p = 0; p < bytes.length; ) {");
    w.indent(() => {
      w.writeLine(`const [event, length] = ${n.at}(bytes, p, options);`);
      w.writeLine("out.push(event);");
      w.writeLine("p += length;");
    });
    w.writeLine("}");
    w.writeLine("return out;");
  });
  w.writeLine("}");
  w.blankLine();
  const valueOf = (m: EventsPlan["members"][number]): string => `{ ...event.event, ${propKey(d.key)}: ${lit(m.value)} }`;
  const each = (call: (m: EventsPlan["members"][number]) => string): void => {
    w.writeLine("switch (event.type) {");
    w.indent(() => {
      for (const m of e.members) w.writeLine(`case ${JSON.stringify(m.key)}:\n  return ${call(m)};`);
    });
    w.writeLine("}");
  };
  writeDoc(w, [
    `Bytes {@link ${n.encode}} writes for \`event\`.`,
    "@param event - the event",
    "@param options - `features`: the negotiated feature bits",
  ]);
  w.writeLine(`export function ${n.lengthOf}(event: ${n.input}, options?: CodecOptions): number {`);
  w.indent(() => {
    each((m) => `${structNames(m.struct).lengthOf}(${valueOf(m)}, options)`);
    w.writeLine(`throw new CodecError("unknown-discriminator", { struct: ${label}, field: ${JSON.stringify(d.name)}, offset: 0 }, "unknown event type");`);
  });
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [
    `Encodes \`event\` at \`offset\` (the device side), setting \`${d.name}\` from \`type\`; returns the bytes written.`,
    "Throws {@link CodecError} as the event struct's encoder does.",
    "@param event - the event",
    "@param bytes - the target buffer",
    "@param offset - where the event starts",
    "@param options - `features`: the negotiated feature bits",
  ]);
  w.writeLine(`export function ${n.encode}(event: ${n.input}, bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => {
    each((m) => `${structNames(m.struct).encode}(${valueOf(m)}, bytes, offset, options)`);
    w.writeLine(`throw new CodecError("unknown-discriminator", { struct: ${label}, field: ${JSON.stringify(d.name)}, offset }, "unknown event type");`);
  });
  w.writeLine("}");
}
