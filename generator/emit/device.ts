/**
 * device.ts of a generated folder: per device with a control queue, an abstract device class with one
 * handler per command and a `dispatch` that decodes a request, calls the handler and encodes the status
 * and reply, answering malformed or unknown requests with the spec's error status instead of throwing.
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import { access } from "../names.js";
import type { CommandPlan, ControlPlan } from "../plan/control.js";
import { labelPath, sourceRef } from "../plan/context.js";
import { controlNames } from "./control.js";
import { escapeDoc, specRef, writeDoc } from "./doc.js";
import { writeStmt } from "./wire-expr.js";

/** Generated names of one device skeleton. */
export function deviceNames(c: ControlPlan) {
  return {
    base: `${c.prefix}DeviceBase`,
    info: `${c.prefix}CommandInfo`,
    result: `${c.prefix}HandlerResult`,
    dispatch: `${c.prefix}DispatchResult`,
  };
}

function handlerDoc(c: ControlPlan, cmd: CommandPlan): string[] {
  const paras: string[] = [
    `Handles \`${cmd.command.name}\`${cmd.classValue !== undefined ? ` (class ${cmd.classValue}, command ${cmd.value})` : ` (code ${cmd.value})`}: request ${cmd.request ? `\`struct ${cmd.request.name}\`` : "raw bytes (the spec gives no struct)"}${c.ackField ? `, reply ${cmd.reply ? `\`struct ${cmd.reply.name}\`` : "none"}` : ""}.`,
    specRef(cmd.command.section, cmd.command.source),
    ...cmd.notes.map((x) => `Note: ${escapeDoc(x)}.`),
  ];
  const m = cmd.requirements;
  if (m.requirements.length) {
    paras.push(
      `Normative requirements (${m.looseMatch ? `matched loosely: the section's label differs from its normative block's, ${m.looseMatch.map((l) => `\`${labelPath(l)}\``).join(", ")}` : "from the normative blocks of this section"}):`,
    );
    for (const r of m.requirements) {
      paras.push(`- \`${escapeDoc(r.id).replace(/\\/g, "")}\` (${r.role} ${r.level}): ${escapeDoc(r.text)} (${escapeDoc(r.sectionTitle)}, ${sourceRef(r.source)})`);
    }
  } else {
    paras.push("The spec has no normative requirements for this command's section.");
  }
  paras.push("@param request - the decoded request", "@param ctx - the caller's context, passed through from dispatch", "@param info - command name, negotiated features, room for the reply");
  return paras;
}

/** Writes the device skeleton of one device. */
export function writeDevice(w: CodeBlockWriter, c: ControlPlan): void {
  const n = deviceNames(c);
  const cn = controlNames(c);
  const framing = c.driver.struct;
  const ref = specRef(framing.section, framing.source);
  const hasReply = c.ackField !== undefined;
  const hasHeader = c.headerFields.length > 0;
  const ackType = cn.ackType;
  const okExpr = c.ack ? access(c.ack.group.objectName, c.ack.okKey) : undefined;
  const errExpr = c.ack ? access(c.ack.group.objectName, c.ack.errKey) : undefined;

  writeDoc(w, [`What a \`${c.device.slug}\` handler learns besides its request.`]);
  w.writeLine(`export interface ${n.info} {`);
  w.indent(() => {
    writeDoc(w, ["The command being handled."]);
    w.writeLine(`command: ${cn.name};`);
    writeDoc(w, ["The negotiated features the request was decoded under."]);
    w.writeLine("features: bigint;");
    if (hasReply) {
      writeDoc(w, ["Bytes available for reply data after the status (a handler may answer a too-small buffer with the spec's status for it)."]);
      w.writeLine("replyCapacity: number;");
    }
    if (hasHeader) {
      writeDoc(w, ["The header fields of the request."]);
      w.writeLine(`header: ${cn.header};`);
    }
  });
  w.writeLine("}");
  w.blankLine();
  if (hasReply) {
    writeDoc(w, [
      `What a \`${c.device.slug}\` handler returns: the status${c.ack ? `, and on success (\`${c.ack.okKey}\`) the reply when the command has one; other statuses may carry a reply too (e.g. a count for a retry)` : " and optional reply"}.`,
      "@typeParam R - the command's reply input (undefined when it has no reply data)",
    ]);
    if (okExpr) {
      w.writeLine(`export type ${n.result}<R> = [R] extends [undefined] ? { ack: ${ackType} } : { ack: typeof ${okExpr}; reply: R } | { ack: Exclude<${ackType}, typeof ${okExpr}>; reply?: R };`);
    } else {
      w.writeLine(`export type ${n.result}<R> = [R] extends [undefined] ? { ack: ${ackType} } : { ack: ${ackType}; reply?: R };`);
    }
    w.blankLine();
  }
  writeDoc(w, [`What {@link ${n.base}.dispatch} did.`]);
  w.writeLine(`export interface ${n.dispatch} {`);
  w.indent(() => {
    writeDoc(w, ["The command, when the request named one the spec defines."]);
    w.writeLine(`command: ${cn.name} | undefined;`);
    if (hasReply) {
      writeDoc(w, ["The status written (the error status for a refused request)."]);
      w.writeLine(`ack: ${ackType} | undefined;`);
      writeDoc(w, ["Bytes written into the reply buffer: the used length to report."]);
      w.writeLine("written: number;");
    }
    writeDoc(w, ["Why the request was refused or the reply could not be written, if it was."]);
    w.writeLine("error: CodecError | undefined;");
  });
  w.writeLine("}");
  w.blankLine();

  writeDoc(w, [
    `Skeleton of a \`${c.device.slug}\` device's control queue (\`struct ${c.framing}\`): implement one handler per command; {@link ${n.base}.dispatch} does the framing.`,
    hasReply
      ? `Malformed requests (short, unknown command, bad fields) and replies that do not fit are answered with ${errExpr ? `\`${c.ack!.group.members.find((m) => m.key === c.ack!.errKey)!.name}\` (the ack group's error value)` : "no status"} instead of throwing; handler exceptions propagate.`
      : "The framing has no device-written part, so refused requests are reported in the result only.",
    "@typeParam Ctx - whatever the caller passes to dispatch for the handlers (e.g. the requesting guest)",
    ref,
  ]);
  w.writeLine(`export abstract class ${n.base}<Ctx = void> {`);
  w.indent(() => {
    writeDoc(w, ["The negotiated features: decide the feature-conditional fields of requests and replies. Set it when the driver sets FEATURES_OK."]);
    w.writeLine("features = 0n;");
    for (const cmd of c.commands) {
      w.blankLine();
      writeDoc(w, handlerDoc(c, cmd));
      const req = `${cn.requests}[${JSON.stringify(cmd.key)}]`;
      const ret = hasReply ? `${n.result}<${cn.replyInputs}[${JSON.stringify(cmd.key)}]>` : "void";
      w.writeLine(`abstract ${cmd.handler}(request: ${req}, ctx: Ctx, info: ${n.info}): ${ret} | Promise<${ret}>;`);
    }
    w.blankLine();
    writeDoc(w, [
      hasReply
        ? "Decodes `request` (the driver-written buffer), calls the handler, writes the status and reply into `reply` (the device-written buffer)."
        : "Decodes `request` and calls the handler.",
      hasReply ? "Never throws for bad input: a refused request gets the error status (when `reply` has room for it) and the result says why." : "Never throws for bad input: the result says why a request was refused.",
      "@param request - the driver-written bytes",
      hasReply ? "@param reply - the device-writable bytes" : undefined,
      "@param ctx - passed to the handler",
    ]);
    w.writeLine(`async dispatch(request: Uint8Array, ${hasReply ? "reply: Uint8Array, " : ""}ctx: Ctx): Promise<${n.dispatch}> {`);
    w.indent(() => {
      w.writeLine("const options = { features: this.features };");
      w.writeLine(`let decoded: ${cn.decodedRequest};`);
      w.writeLine("try {");
      w.indent(() => w.writeLine(`decoded = ${cn.decodeRequest}(request, 0, options);`));
      w.writeLine("} catch (err) {");
      w.indent(() => {
        w.writeLine("if (!(err instanceof CodecError)) throw err;");
        w.writeLine(hasReply ? "return this.#refuse(undefined, reply, err);" : "return { command: undefined, error: err };");
      });
      w.writeLine("}");
      const infoFields = ["command: decoded.command", "features: this.features"];
      if (hasReply) infoFields.push(`replyCapacity: Math.max(0, reply.length - ${c.ackField!.size})`);
      if (hasHeader) infoFields.push("header: decoded.header");
      w.writeLine(`const info: ${n.info} = { ${infoFields.join(", ")} };`);
      w.writeLine("switch (decoded.command) {");
      w.indent(() => {
        for (const cmd of c.commands) {
          const key = JSON.stringify(cmd.key);
          w.writeLine(`case ${key}: {`);
          w.indent(() => {
            if (hasReply) {
              w.writeLine(`const r = await this.${cmd.handler}(decoded.request, ctx, info);`);
              w.writeLine(`return this.#answer(${key}, r.ack, ${cmd.reply ? "r.reply" : "undefined"}, reply, options);`);
            } else {
              w.writeLine(`await this.${cmd.handler}(decoded.request, ctx, info);`);
              w.writeLine(`return { command: ${key}, error: undefined };`);
            }
          });
          w.writeLine("}");
        }
      });
      w.writeLine("}");
    });
    w.writeLine("}");
    if (!hasReply) return;
    w.blankLine();
    writeDoc(w, ["Writes a handler's status and reply, or the error status when they do not fit."]);
    w.writeLine(`#answer<K extends ${cn.name}>(command: K, ack: ${ackType}, value: ${cn.replyInputs}[K] | undefined, reply: Uint8Array, options: { features: bigint }): ${n.dispatch} {`);
    w.indent(() => {
      w.writeLine("try {");
      w.indent(() => w.writeLine(`return { command, ack, written: ${cn.encodeReply}(command, ack, value, reply, 0, options), error: undefined };`));
      w.writeLine("} catch (err) {");
      w.indent(() => {
        w.writeLine("if (!(err instanceof CodecError)) throw err;");
        w.writeLine("return this.#refuse(command, reply, err);");
      });
      w.writeLine("}");
    });
    w.writeLine("}");
    w.blankLine();
    writeDoc(w, ["Answers with the error status (when the buffer has room for it)."]);
    w.writeLine(`#refuse(command: ${cn.name} | undefined, reply: Uint8Array, error: CodecError): ${n.dispatch} {`);
    w.indent(() => {
      if (!errExpr) {
        w.writeLine("return { command, ack: undefined, written: 0, error };");
        return;
      }
      const ack = c.ackField!;
      w.writeLine(`if (reply.length < ${ack.size}) return { command, ack: undefined, written: 0, error };`);
      w.writeLine("const b = reply;");
      w.writeLine(writeStmt(ack.wire, "0", ack.wire.includes("64") || ack.wire === "le128" ? `BigInt(${errExpr})` : errExpr));
      w.writeLine(`return { command, ack: ${errExpr}, written: ${ack.size}, error };`);
    });
    w.writeLine("}");
  });
  w.writeLine("}");
}
