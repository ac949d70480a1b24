/**
 * Node modules the front end imports only on paths the playground never takes (git revisions, temp
 * directories): any use says so instead of failing somewhere deeper.
 *
 * @module
 */
function unavailable(): never {
  throw new Error("not available in the browser playground");
}
export const execFileSync = unavailable;
export const spawnSync = unavailable;
export const tmpdir = (): string => "/tmp";
export const fileURLToPath = (u: string | URL): string => (typeof u === "string" ? new URL(u).pathname : u.pathname);
export const pathToFileURL = (p: string): URL => new URL(`file://${p}`);
export default { execFileSync, spawnSync, tmpdir, fileURLToPath, pathToFileURL };
