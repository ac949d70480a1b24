/**
 * Naming rules of generated code: spec names (snake_case C identifiers, kebab slugs, titles) to TypeScript
 * identifiers, and the short keys of constant groups.
 *
 * @module
 */

const WORD = /[A-Za-z0-9]+/g;

/** `virtio_ism_ctrl_alloc` → `VirtioIsmCtrlAlloc`; `vhost-pci-net` → `VhostPciNet`; `ack values` → `AckValues`. */
export function pascal(text: string): string {
  const words = text.match(WORD) ?? [];
  const out = words.map((w) => w[0]!.toUpperCase() + w.slice(1).toLowerCase()).join("");
  return /^[0-9]/.test(out) ? `N${out}` : out;
}

/** `ALLOC_REGION` → `allocRegion`; `vhost-pci-net` → `vhostPciNet`. */
export function camel(text: string): string {
  const p = pascal(text);
  return p[0]!.toLowerCase() + p.slice(1);
}

/** A spec field name as a property key: anything outside `[A-Za-z0-9_$]` becomes `_` (`command-specific-data`). */
export function fieldKey(name: string): string {
  const k = name.replace(/[^A-Za-z0-9_$]/g, "_");
  return /^[0-9]/.test(k) ? `_${k}` : k;
}

/** Whether `key` can be written bare in an object literal / property access. */
export function isIdentifier(key: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
}

/** An object-literal key: bare when an identifier, else quoted. */
export function propKey(key: string): string {
  return isIdentifier(key) ? key : JSON.stringify(key);
}

/** A property access on `obj`: `obj.key` or `obj["key"]`. */
export function access(obj: string, key: string): string {
  return isIdentifier(key) ? `${obj}.${key}` : `${obj}[${JSON.stringify(key)}]`;
}

/**
 * The longest prefix ending in `_` that every name shares and that leaves every name a non-empty remainder
 * starting with a letter (so keys stay readable). Empty for fewer than two names: one name has no "common"
 * part to strip without guessing.
 */
export function commonPrefix(names: readonly string[]): string {
  if (names.length < 2) return "";
  let prefix = names[0]!;
  for (const n of names) {
    let i = 0;
    while (i < prefix.length && i < n.length && prefix[i] === n[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const cut = prefix.lastIndexOf("_");
  prefix = cut >= 0 ? prefix.slice(0, cut + 1) : "";
  while (prefix && names.some((n) => !/^[A-Za-z]/.test(n.slice(prefix.length)) || n.length === prefix.length)) {
    const shorter = prefix.slice(0, -1).lastIndexOf("_");
    prefix = shorter >= 0 ? prefix.slice(0, shorter + 1) : "";
  }
  return prefix;
}

/** Short keys of `names` (common prefix stripped), or the names themselves when stripping would collide. */
export function shortKeys(names: readonly string[]): string[] {
  const prefix = commonPrefix(names);
  const keys = names.map((n) => n.slice(prefix.length));
  return new Set(keys).size === keys.length ? keys : [...names];
}

/** Makes names unique in first-come order by appending `2`, `3`, … to later duplicates. */
export class NameRegistry {
  private readonly used = new Set<string>();

  /** Reserves `name` (or the first free numbered variant) and returns it. */
  claim(name: string): string {
    let n = name;
    for (let i = 2; this.used.has(n); i++) n = `${name}${i}`;
    this.used.add(n);
    return n;
  }

  /** Whether `name` is taken. */
  has(name: string): boolean {
    return this.used.has(name);
  }
}

/** `IsmAck` → `ismAck`: lower-cases the first character only (for names already in PascalCase). */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
