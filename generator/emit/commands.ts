/**
 * Emits a command table (`commands.ts`): one entry per command with its code and the codecs of what it
 * carries, checked against the runtime's `CommandTable` type. The lookup and decoding are the runtime's
 * generic `commandByCode` and `decodeCommand`.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import { camel } from "../names.js";
import { sourceRef } from "../plan/context.js";
import type { CommandTablePlan } from "../plan/commands.js";
import type { StructPlan } from "../plan/structs.js";
import { escapeDoc, specRef, writeDoc } from "./doc.js";
import { structNames } from "./structs.js";

/** The exported name of a table (`gpuCommands`, as control tables are named `networkCommands`). */
export function commandTableName(p: CommandTablePlan): string {
  return `${camel(p.prefix)}Commands`;
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

export function writeCommandTable(w: CodeBlockWriter, p: CommandTablePlan): void {
  const name = commandTableName(p);
  const owner = p.device ? `device \`${p.device.slug}\`` : "no one device (the device-independent commands: the admin virtqueue's)";
  const withRequest = p.entries.filter((e) => e.request).length;
  const withReply = p.entries.filter((e) => e.reply).length;
  writeDoc(w, [
    `The commands of ${owner}: ${p.entries.length} codes, ${withRequest} with a request codec and ${withReply} with a reply codec, as the spec text ties the structs to each code.`,
    `Find one by its code with \`commandByCode(${name}, code)\`, or decode what it carries with \`decodeCommand(${name}, "request", code, bytes)\` (both from the codec runtime).`,
  ]);
  w.write(`export const ${name} = `).inlineBlock(() => {
    for (const e of p.entries) {
      const c = e.command;
      // A part of a framing struct is named as its schema is (`virtio_blk_req (device-written)`).
      const named = (p: StructPlan): string => `\`${p.part ? p.name : p.struct.name}\``;
      const parts = [
        `\`${c.name}\` = ${e.classValue !== undefined ? `class ${e.classValue}, ` : ""}${e.value}`,
        e.request ? `request ${named(e.request)}` : "no request codec",
        e.reply ? `reply ${named(e.reply)}` : "no reply codec",
        ...(e.header ? [`code carried in ${named(e.header)}`] : []),
      ];
      writeDoc(w, [`${parts.join("; ")}.`, ...e.notes.map((n) => escapeDoc(`${n}.`)), c.section ? specRef(c.section, c.source) : undefined]);
      const fields = [
        `name: ${JSON.stringify(c.name)}`,
        `code: ${e.value}`,
        ...(e.classValue !== undefined ? [`classCode: ${e.classValue}`] : []),
        ...(e.request ? [`request: ${structNames(e.request).codec}`] : []),
        ...(e.reply ? [`reply: ${structNames(e.reply).codec}`] : []),
        ...(e.header ? [`header: ${structNames(e.header).codec}`] : []),
        `section: ${JSON.stringify(c.section)}`,
        `source: ${JSON.stringify(sourceRef(c.source))}`,
      ];
      w.writeLine(`${IDENTIFIER.test(e.key) ? e.key : JSON.stringify(e.key)}: { ${fields.join(", ")} },`);
    }
  });
  w.write(" as const satisfies CommandTable;").newLine();
}
