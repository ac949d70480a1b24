/**
 * constants.ts of a generated folder: one `as const` object per constant group, enum and feature-bit group,
 * each with its value-union type and a spec-name lookup; feature groups also get bigint masks and
 * `has`/`with`/`without` helpers; then the spec-named top-level constants (`VIRTIO_ISM_OK`).
 *
 * @module
 */
import type CodeBlockWriter from "code-block-writer";
import { access, propKey } from "../names.js";
import type { ConstantsPlan, FeatureGroupPlan, GroupPlan } from "../plan/constants.js";
import { sourceRef } from "../plan/context.js";
import { escapeDoc, specRef, writeDoc } from "./doc.js";

function writeNameFn(w: CodeBlockWriter, fn: string, objectName: string, members: readonly { name: string; value: number }[], what: string): void {
  writeDoc(w, [
    `The spec name of a {@link ${objectName}} ${what}, or undefined when the spec defines none. Where the spec gives one value several names, the first is returned.`,
    `@param value - the ${what}`,
  ]);
  const seen = new Set<number>();
  const cases = members.filter((m) => !seen.has(m.value) && seen.add(m.value));
  const union = [...new Set(cases.map((m) => JSON.stringify(m.name)))].join(" | ");
  w.writeLine(`export function ${fn}(value: number): ${union} | undefined {`);
  w.indent(() => {
    w.writeLine("switch (value) {");
    w.indent(() => {
      for (const m of cases) w.writeLine(`case ${m.value}:\n  return ${JSON.stringify(m.name)};`);
      w.writeLine("default:\n  return undefined;");
    });
    w.writeLine("}");
  });
  w.writeLine("}");
}

function writeGroup(w: CodeBlockWriter, g: GroupPlan): void {
  const role = g.kind === "enum" ? "enum" : `${g.kind} constants`;
  writeDoc(w, [`${escapeDoc(g.title)} (${role}${g.device ? ` of device \`${g.device}\`` : ""}): spec names keyed by their short form.`, specRef(g.section, g.source)]);
  w.writeLine(`export const ${g.objectName} = {`);
  w.indent(() => {
    for (const m of g.members) {
      writeDoc(w, [`\`${m.name}\` = ${m.value}.${m.note ? ` ${escapeDoc(m.note)}` : ""}`, `Source: ${sourceRef(m.source)}.`]);
      w.writeLine(`${propKey(m.key)}: ${m.value},`);
    }
  });
  w.writeLine("} as const;");
  w.blankLine();
  writeDoc(w, [`A value of {@link ${g.objectName}}.`]);
  w.writeLine(`export type ${g.objectName} = (typeof ${g.objectName})[keyof typeof ${g.objectName}];`);
  w.blankLine();
  writeNameFn(w, g.nameFn, g.objectName, g.members, "value");
}

function writeFeatures(w: CodeBlockWriter, f: FeatureGroupPlan): void {
  const head = `${escapeDoc(f.title)}${f.device ? ` of device \`${f.device}\`` : ""}`;
  writeDoc(w, [`${head}: bit numbers keyed by feature name.`, `Spec: \`${f.section.replace(/^[^:]*:/, "")}\`.`]);
  w.writeLine(`export const ${f.objectName} = {`);
  w.indent(() => {
    for (const b of f.bits) {
      writeDoc(w, [`\`${b.name}\` (bit ${b.value}): ${escapeDoc(b.description)}`, `Source: ${sourceRef(b.source)}.`]);
      w.writeLine(`${propKey(b.key)}: ${b.value},`);
    }
  });
  w.writeLine("} as const;");
  w.blankLine();
  writeDoc(w, [`A bit number of {@link ${f.objectName}}.`]);
  w.writeLine(`export type ${f.objectName} = (typeof ${f.objectName})[keyof typeof ${f.objectName}];`);
  w.blankLine();
  writeDoc(w, [`A feature name (key) of {@link ${f.objectName}}.`]);
  w.writeLine(`export type ${f.objectName}Key = keyof typeof ${f.objectName};`);
  w.blankLine();
  writeDoc(w, [`${head}: masks (\`1n << bit\`) for a bigint feature word.`]);
  w.writeLine(`export const ${f.maskName} = {`);
  w.indent(() => {
    for (const b of f.bits) w.writeLine(`${propKey(b.key)}: 0x${(1n << BigInt(b.value)).toString(16)}n,`);
  });
  w.writeLine("} as const;");
  w.blankLine();
  writeNameFn(w, f.nameFn, f.objectName, f.bits, "bit number");
  w.blankLine();
  writeDoc(w, [`Whether \`features\` has the {@link ${f.objectName}} feature \`key\`. For 32-bit feature windows, see \`windowHasFeatureBit\` in the codec runtime.`, "@param features - a feature word (bit n = feature n)", "@param key - the feature"]);
  w.writeLine(`export function ${f.hasFn}(features: bigint, key: ${f.objectName}Key): boolean {`);
  w.indent(() => w.writeLine(`return (features & ${f.maskName}[key]) !== 0n;`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [`\`features\` with the {@link ${f.objectName}} feature \`key\` set.`, "@param features - a feature word", "@param key - the feature"]);
  w.writeLine(`export function ${f.withFn}(features: bigint, key: ${f.objectName}Key): bigint {`);
  w.indent(() => w.writeLine(`return features | ${f.maskName}[key];`));
  w.writeLine("}");
  w.blankLine();
  writeDoc(w, [`\`features\` with the {@link ${f.objectName}} feature \`key\` cleared.`, "@param features - a feature word", "@param key - the feature"]);
  w.writeLine(`export function ${f.withoutFn}(features: bigint, key: ${f.objectName}Key): bigint {`);
  w.indent(() => w.writeLine(`return features & ~${f.maskName}[key];`));
  w.writeLine("}");
}

/** Writes the body of constants.ts. */
export function writeConstants(w: CodeBlockWriter, plan: ConstantsPlan): void {
  for (const g of plan.groups) {
    writeGroup(w, g);
    w.blankLine();
  }
  for (const f of plan.features) {
    writeFeatures(w, f);
    w.blankLine();
  }
  for (const s of plan.specNames) {
    const [obj, key] = [s.from.slice(0, s.from.indexOf(".")), s.from.slice(s.from.indexOf(".") + 1)];
    writeDoc(w, [`\`${s.name}\` = ${s.value} under its spec name (same as \`${s.from}\`).`]);
    w.writeLine(`export const ${s.name} = ${access(obj, key)};`);
  }
}
