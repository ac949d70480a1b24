/**
 * control.ts of a generated folder: per device with commands, the typed command table, request
 * encoder/decoder and reply encoder/decoder over the framing struct's driver- and device-written parts.
 *
 * Names carry the device (`encodeIsmRequest`, `decodeIsmReply`) so one folder can hold several devices.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import { access, camel, propKey } from "../names.js";
import type { ControlPlan } from "../plan/control.js";
import { sourceRef } from "../plan/context.js";
import type { FieldPlan } from "../plan/structs.js";
import { specRef, writeDoc } from "./doc.js";
import { structNames } from "./structs.js";
import { badValueExpr, fieldType, isBigWire, plus, readExpr, writeStmt } from "./wire-expr.js";

/** Generated names of one device's control API. */
export function controlNames(c: ControlPlan) {
  const d = c.prefix;
  return {
    table: `${camel(c.device.slug)}Commands`,
    name: `${d}CommandName`,
    requestInputs: `${d}RequestInputs`,
    requests: `${d}Requests`,
    replies: `${d}Replies`,
    replyInputs: `${d}ReplyInputs`,
    decodedRequest: `${d}DecodedRequest`,
    reply: `${d}Reply`,
    header: `${d}RequestHeader`,
    requestCodecs: `${camel(c.device.slug)}RequestCodecs`,
    replyCodecs: `${camel(c.device.slug)}ReplyCodecs`,
    commandOf: `${camel(c.device.slug)}CommandOf`,
    requestLength: `${camel(c.device.slug)}RequestLength`,
    encodeRequestInto: `encode${d}RequestInto`,
    encodeRequest: `encode${d}Request`,
    decodeRequest: `decode${d}Request`,
    encodeReply: `encode${d}Reply`,
    decodeReply: `decode${d}Reply`,
    decodeAs: `${camel(c.device.slug)}DecodedAs`,
    ackType: c.ack ? c.ack.group.objectName : "number",
  };
}

function literal(f: FieldPlan, value: number): string {
  return isBigWire(f.wire) ? `${value}n` : String(value);
}

/** Writes the control API of one device. */
export function writeControl(w: CodeBlockWriter, c: ControlPlan): void {
  const n = controlNames(c);
  const framing = c.driver.struct;
  const ref = specRef(framing.section, framing.source);
  const driverSchema = structNames(c.driver).schema;
  const headerSize = c.payloadField.staticOffset!;
  const hasHeader = c.headerFields.length > 0;

  // The table.
  writeDoc(w, [
    `Commands of device \`${c.device.slug}\` on its control queue, framed by \`struct ${c.framing}\`: spec name, ${c.classField ? "class code, " : ""}command code, request and reply structs, spec source.`,
    ref,
  ]);
  w.writeLine(`export const ${n.table} = {`);
  w.indent(() => {
    for (const cmd of c.commands) {
      writeDoc(w, [`\`${cmd.command.name}\`.`, specRef(cmd.command.section, cmd.command.source)]);
      const entry: Record<string, unknown> = { name: cmd.command.name };
      if (cmd.classValue !== undefined) entry.classCode = cmd.classValue;
      entry.code = cmd.value;
      entry.request = cmd.request?.name ?? null;
      entry.reply = cmd.reply?.name ?? null;
      entry.section = cmd.command.section;
      entry.source = sourceRef(cmd.command.source);
      w.writeLine(`${propKey(cmd.key)}: { ${Object.entries(entry).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(", ")} },`);
    }
  });
  w.writeLine("} as const;");
  w.blankLine();
  writeDoc(w, [`Short name of a \`${c.device.slug}\` command (key of {@link ${n.table}}).`]);
  w.writeLine(`export type ${n.name} = keyof typeof ${n.table};`);
  w.blankLine();

  const typeMap = (name: string, doc: string, pick: (cmd: ControlPlan["commands"][number]) => string): void => {
    writeDoc(w, [doc]);
    w.writeLine(`export interface ${name} {`);
    w.indent(() => {
      for (const cmd of c.commands) {
        writeDoc(w, [`\`${cmd.command.name}\`.`]);
        w.writeLine(`${propKey(cmd.key)}: ${pick(cmd)};`);
      }
    });
    w.writeLine("}");
    w.blankLine();
  };
  typeMap(n.requestInputs, "What each command's request encoder accepts (raw bytes where the spec gives the command no struct).", (cmd) => cmd.request?.inputName ?? "Uint8Array");
  typeMap(n.requests, "Each command's decoded request.", (cmd) => cmd.request?.typeName ?? "Uint8Array");
  if (c.ackField) {
    typeMap(n.replies, "Each command's decoded reply (undefined where the spec defines no reply data).", (cmd) => cmd.reply?.typeName ?? "undefined");
    typeMap(n.replyInputs, "What each command's reply encoder accepts.", (cmd) => cmd.reply?.inputName ?? "undefined");
  }
  if (hasHeader) {
    writeDoc(w, [`Fields of \`struct ${c.framing}\` the sender supplies besides the command code.`, ref]);
    w.writeLine(`export interface ${n.header} {`);
    w.indent(() => {
      for (const f of c.headerFields) {
        writeDoc(w, [`\`${f.name}\` (\`${f.specType}\` at offset ${f.staticOffset}).`, `Source: ${sourceRef(f.field.source)}.`]);
        w.writeLine(`${propKey(f.key)}: ${fieldType(f, false)};`);
      }
    });
    w.writeLine("}");
    w.blankLine();
  }
  writeDoc(w, [`A decoded \`${c.device.slug}\` request: the command and its request${hasHeader ? ", plus the header fields" : ""}, discriminated by \`command\`.`]);
  w.writeLine(`export type ${n.decodedRequest} = { [K in ${n.name}]: { command: K; request: ${n.requests}[K]${hasHeader ? `; header: ${n.header}` : ""} } }[${n.name}];`);
  w.blankLine();

  // Payload codecs per command (correlated by key, so the generic functions type-check without casts).
  writeDoc(w, ["Request payload codec of each command."]);
  w.writeLine(`const ${n.requestCodecs}: { [K in ${n.name}]: PayloadCodec<${n.requests}[K], ${n.requestInputs}[K]> } = {`);
  w.indent(() => {
    for (const cmd of c.commands) w.writeLine(`${propKey(cmd.key)}: ${cmd.request ? structNames(cmd.request).codec : "rawPayload"},`);
  });
  w.writeLine("};");
  w.blankLine();
  if (c.ackField) {
    writeDoc(w, ["Reply payload codec of each command."]);
    w.writeLine(`const ${n.replyCodecs}: { [K in ${n.name}]: PayloadCodec<${n.replies}[K], ${n.replyInputs}[K]> } = {`);
    w.indent(() => {
      for (const cmd of c.commands) w.writeLine(`${propKey(cmd.key)}: ${cmd.reply ? structNames(cmd.reply).codec : "emptyPayload"},`);
    });
    w.writeLine("};");
    w.blankLine();
  }

  // Code → name.
  const codeParam = (f: FieldPlan): string => fieldType(f, false);
  writeDoc(w, ["The command with these codes, if the spec defines one."]);
  const params = c.classField ? `cls: ${codeParam(c.classField)}, code: ${codeParam(c.commandField)}` : `code: ${codeParam(c.commandField)}`;
  w.writeLine(`function ${n.commandOf}(${params}): ${n.name} | undefined {`);
  w.indent(() => {
    const codeSwitch = (cmds: ControlPlan["commands"]): void => {
      w.writeLine("switch (code) {");
      w.indent(() => {
        for (const cmd of cmds) w.writeLine(`case ${literal(c.commandField, cmd.value)}:\n  return ${JSON.stringify(cmd.key)};`);
      });
      w.writeLine("}");
    };
    if (c.classField) {
      const classes = [...new Set(c.commands.map((x) => x.classValue!))];
      w.writeLine("switch (cls) {");
      w.indent(() => {
        for (const cls of classes) {
          w.writeLine(`case ${literal(c.classField!, cls)}:`);
          w.indent(() => {
            codeSwitch(c.commands.filter((x) => x.classValue === cls));
            w.writeLine("break;");
          });
        }
      });
      w.writeLine("}");
    } else {
      codeSwitch(c.commands);
    }
    w.writeLine("return undefined;");
  });
  w.writeLine("}");
  w.blankLine();

  const headerParam = hasHeader ? `, header: ${n.header}` : "";
  const headerDoc = hasHeader ? `@param header - ${c.headerFields.map((f) => `\`${f.name}\``).join(", ")}` : undefined;
  writeDoc(w, [
    `Bytes of the driver-written part of \`${c.framing}\` for \`command\` with \`request\`.`,
    "@param command - the command",
    "@param request - its request",
    "@param options - `features`, for requests with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.requestLength}<K extends ${n.name}>(command: K, request: ${n.requestInputs}[K], options?: CodecOptions): number {`);
  w.indent(() => {
    w.writeLine(`const codec = Object.hasOwn(${n.requestCodecs}, command) ? ${n.requestCodecs}[command] : undefined;`);
    w.writeLine(`if (codec === undefined) throw new CodecError("unknown-command", { struct: ${JSON.stringify(c.framing)}, offset: 0 }, \`unknown ${c.device.slug} command \${String(command)}\`);`);
    w.writeLine(`return ${headerSize} + codec.encodedLength(request, options);`);
  });
  w.writeLine("}");
  w.blankLine();

  writeDoc(w, [
    `Encodes the driver-written part of \`${c.framing}\` (${c.driver.fields.map((f) => `\`${f.name}\``).join(", ")}) for \`command\` into \`bytes\` at \`offset\`; returns the bytes written.`,
    "Throws {@link CodecError}: `unknown-command` for a name not in the table, else as the request struct's encoder does.",
    "@param command - the command (short name, e.g. a key of the command table)",
    "@param request - its request (type follows from `command`)",
    headerDoc,
    "@param bytes - target buffer",
    "@param offset - where the message starts",
    "@param options - `features`, for requests with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.encodeRequestInto}<K extends ${n.name}>(command: K, request: ${n.requestInputs}[K]${headerParam}, bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => {
    w.writeLine(`const entry = Object.hasOwn(${n.table}, command) ? ${n.table}[command] : undefined;`);
    w.writeLine(`if (entry === undefined) throw new CodecError("unknown-command", { struct: ${JSON.stringify(c.framing)}, offset }, \`unknown ${c.device.slug} command \${String(command)}\`);`);
    w.writeLine(`const n = ${headerSize} + ${n.requestCodecs}[command].encodedLength(request, options);`);
    w.writeLine(`if (!fits(offset, n, bytes.length)) throw spanError(${driverSchema}, offset, n, bytes.length);`);
    w.writeLine("const b = bytes;");
    if (c.classField) w.writeLine(writeStmt(c.classField.wire, plus("offset", c.classField.staticOffset!), isBigWire(c.classField.wire) ? "BigInt(entry.classCode)" : "entry.classCode"));
    w.writeLine(writeStmt(c.commandField.wire, plus("offset", c.commandField.staticOffset!), isBigWire(c.commandField.wire) ? "BigInt(entry.code)" : "entry.code"));
    for (const f of c.headerFields) {
      const v = `${camel(f.key)}Value`;
      const at = plus("offset", f.staticOffset!);
      w.writeLine(`const ${v} = ${access("header", f.key)};`);
      w.writeLine(`if (${badValueExpr(f.wire, v)}) throw valueError(${driverSchema}, ${JSON.stringify(f.name)}, ${at}, ${v}, ${JSON.stringify(f.specType)});`);
      w.writeLine(writeStmt(f.wire, at, v));
    }
    w.writeLine(`${n.requestCodecs}[command].encode(request, bytes, ${plus("offset", headerSize)}, options);`);
    w.writeLine("return n;");
  });
  w.writeLine("}");
  w.blankLine();

  writeDoc(w, [
    `Encodes the driver-written part of \`${c.framing}\` for \`command\` into a new buffer of exactly the right size.`,
    `Throws {@link CodecError} like {@link ${n.encodeRequestInto}}.`,
    "@param command - the command (short name)",
    "@param request - its request (type follows from `command`)",
    headerDoc,
    "@param options - `features`, for requests with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.encodeRequest}<K extends ${n.name}>(command: K, request: ${n.requestInputs}[K]${headerParam}, options?: CodecOptions): Uint8Array {`);
  w.indent(() => {
    w.writeLine(`const bytes = new Uint8Array(${n.requestLength}(command, request, options));`);
    w.writeLine(`${n.encodeRequestInto}(command, request${hasHeader ? ", header" : ""}, bytes, 0, options);`);
    w.writeLine("return bytes;");
  });
  w.writeLine("}");
  w.blankLine();

  writeDoc(w, [
    `Decodes a driver-written \`${c.framing}\` (the device side): the command from its code${c.classField ? "s" : ""}, then its request from the rest of \`bytes\` (trailing bytes past the request struct are ignored).`,
    "Throws {@link CodecError}: `short-buffer` for a truncated header, `unknown-command` for codes the spec does not define, else as the request struct's decoder does.",
    "@param bytes - the request buffer",
    "@param offset - where the message starts",
    "@param options - `features`, for requests with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.decodeRequest}(bytes: Uint8Array, offset = 0, options?: CodecOptions): ${n.decodedRequest} {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine(`if (!fits(offset, ${headerSize}, b.length)) throw spanError(${driverSchema}, offset, ${headerSize}, b.length);`);
    const cmdRead = readExpr(c.commandField.wire, plus("offset", c.commandField.staticOffset!));
    if (c.classField) {
      w.writeLine(`const cls = ${readExpr(c.classField.wire, plus("offset", c.classField.staticOffset!))};`);
    }
    w.writeLine(`const code = ${cmdRead};`);
    w.writeLine(`const command = ${n.commandOf}(${c.classField ? "cls, " : ""}code);`);
    const codes = c.classField ? "class ${String(cls)} command ${String(code)}" : "code ${String(code)}";
    w.writeLine(`if (command === undefined) throw new CodecError("unknown-command", { struct: ${JSON.stringify(c.framing)}, field: ${JSON.stringify(c.commandField.name)}, offset }, \`${c.framing}: no ${c.device.slug} command has ${codes}\`);`);
    if (hasHeader) {
      w.writeLine(`const header: ${n.header} = { ${c.headerFields.map((f) => `${propKey(f.key)}: ${readExpr(f.wire, plus("offset", f.staticOffset!))}`).join(", ")} };`);
    }
    w.writeLine(`return ${n.decodeAs}(command, ${n.requestCodecs}[command].decode(bytes, ${plus("offset", headerSize)}, options)${hasHeader ? ", header" : ""});`);
  });
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, ["Pairs a command with its decoded request (the correlated types TypeScript cannot see through a lookup)."]);
  w.writeLine(`function ${n.decodeAs}<K extends ${n.name}>(command: K, request: ${n.requests}[K]${hasHeader ? `, header: ${n.header}` : ""}): ${n.decodedRequest} {`);
  w.indent(() => w.writeLine(`return { command, request${hasHeader ? ", header" : ""} } as unknown as ${n.decodedRequest};`));
  w.writeLine("}");

  if (!c.ackField) return;
  const ack = c.ackField;
  const ackSize = ack.size!;
  const deviceSchema = structNames(c.device_!).schema;
  const replyAt = plus("offset", ackSize);
  w.blankLine();
  writeDoc(w, [
    `A decoded device-written part of \`${c.framing}\`: the status \`${ack.name}\`, the reply (decoded only when the status is ${c.ack ? `\`${c.ack.group.members.find((m) => m.key === c.ack!.okKey)!.name}\`` : "0"}), and the raw reply bytes (a copy, for statuses that carry data the spec leaves untyped).`,
    ref,
  ]);
  w.writeLine(`export interface ${n.reply}<K extends ${n.name}> {`);
  w.indent(() => {
    writeDoc(w, [`The \`${ack.name}\` status written by the device.`]);
    w.writeLine(`ack: ${n.ackType};`);
    writeDoc(w, ["The reply, when the status is success and the command has reply data."]);
    w.writeLine(`reply: ${n.replies}[K] | undefined;`);
    writeDoc(w, ["The bytes after the status (a copy)."]);
    w.writeLine("payload: Uint8Array;");
  });
  w.writeLine("}");
  w.blankLine();
  const okExpr = c.ack ? access(c.ack.group.objectName, c.ack.okKey) : "0";
  writeDoc(w, [
    `Decodes the device-written part of \`${c.framing}\` for \`command\` (the driver side).`,
    `Throws {@link CodecError}: \`short-buffer\` when the status is missing${c.ack ? ", `unknown-value` for a status the spec does not define" : ""}, else as the reply struct's decoder does (only for a success status).`,
    "@param command - the command the request was",
    "@param bytes - the reply buffer (the bytes the device wrote)",
    "@param offset - where the reply part starts",
    "@param options - `features`, for replies with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.decodeReply}<K extends ${n.name}>(command: K, bytes: Uint8Array, offset = 0, options?: CodecOptions): ${n.reply}<K> {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine(`if (!fits(offset, ${ackSize}, b.length)) throw spanError(${deviceSchema}, offset, ${ackSize}, b.length, ${JSON.stringify(ack.name)});`);
    w.writeLine(`const status = ${readExpr(ack.wire, "offset")};`);
    if (c.ack) {
      w.writeLine(`if (${c.ack.group.nameFn}(${isBigWire(ack.wire) ? "Number(status)" : "status"}) === undefined) throw new CodecError("unknown-value", { struct: ${deviceSchema}.name, field: ${JSON.stringify(ack.name)}, offset }, \`${c.framing}.${ack.name}: \${String(status)} is not a value the spec defines\`);`);
      w.writeLine(`const ackValue = ${isBigWire(ack.wire) ? "Number(status)" : "status"} as ${n.ackType};`);
    } else {
      w.writeLine(`const ackValue = ${isBigWire(ack.wire) ? "Number(status)" : "status"};`);
    }
    // The command comes from the caller, so a name outside the table is refused like bad bytes are.
    w.writeLine(`if (!Object.hasOwn(${n.replyCodecs}, command)) throw new CodecError("unknown-command", { struct: ${deviceSchema}.name, offset }, \`unknown ${c.device.slug} command \${String(command)}\`);`);
    w.writeLine(`const reply = ackValue === ${okExpr} ? ${n.replyCodecs}[command].decode(bytes, ${replyAt}, options) : undefined;`);
    w.writeLine(`return { ack: ackValue, reply, payload: b.slice(${replyAt}) };`);
  });
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [
    `Encodes the device-written part of \`${c.framing}\` (the device side): status \`ack\`, then \`reply\` when given; returns the bytes written (the used length).`,
    "Throws {@link CodecError} when the buffer is too small or a value does not fit.",
    "@param command - the command being answered",
    `@param ack - the \`${ack.name}\` status`,
    "@param reply - the reply data (undefined: none)",
    "@param bytes - the reply buffer",
    "@param offset - where the reply part starts",
    "@param options - `features`, for replies with feature-conditional fields",
    ref,
  ]);
  w.writeLine(`export function ${n.encodeReply}<K extends ${n.name}>(command: K, ack: ${n.ackType}, reply: ${n.replyInputs}[K] | undefined, bytes: Uint8Array, offset = 0, options?: CodecOptions): number {`);
  w.indent(() => {
    w.writeLine("const b = bytes;");
    w.writeLine(`const codec = Object.hasOwn(${n.replyCodecs}, command) ? ${n.replyCodecs}[command] : undefined;`);
    w.writeLine(`if (codec === undefined) throw new CodecError("unknown-command", { struct: ${JSON.stringify(c.framing)}, offset }, \`unknown ${c.device.slug} command \${String(command)}\`);`);
    w.writeLine(`const n = ${ackSize} + (reply === undefined ? 0 : codec.encodedLength(reply, options));`);
    w.writeLine(`if (!fits(offset, n, b.length)) throw spanError(${deviceSchema}, offset, n, b.length);`);
    const v = isBigWire(ack.wire) ? "BigInt(ack)" : "ack";
    w.writeLine(`if (${badValueExpr(ack.wire, "ack")}) throw valueError(${deviceSchema}, ${JSON.stringify(ack.name)}, offset, ack, ${JSON.stringify(ack.specType)});`);
    w.writeLine(writeStmt(ack.wire, "offset", v));
    w.writeLine(`if (reply !== undefined) codec.encode(reply, bytes, ${replyAt}, options);`);
    w.writeLine("return n;");
  });
  w.writeLine("}");
}
