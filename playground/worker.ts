/**
 * The playground's Web Worker: fetches the shipped trees it is asked for (once), runs {@link analyse} and posts the
 * result back. Nothing leaves the browser: the trees come from the playground's own folder.
 *
 * @module
 */
import { analyse, loadTree, loadedTrees, type ShippedTree } from "./analyse.js";
import type { FromWorker, ToWorker } from "./protocol.js";

const scope = self as unknown as { onmessage: ((e: MessageEvent<ToWorker>) => void) | null; postMessage: (m: FromWorker) => void };

async function ensureTrees(names: string[]): Promise<void> {
  for (const name of names) {
    if (loadedTrees().includes(name)) continue;
    const res = await fetch(new URL(`trees/${name}.json`, self.location.href));
    if (!res.ok) throw new Error(`cannot load the shipped tree '${name}' (HTTP ${res.status})`);
    loadTree((await res.json()) as ShippedTree);
  }
}

scope.onmessage = (e) => {
  const msg = e.data;
  void (async () => {
    const t0 = performance.now();
    try {
      await ensureTrees(msg.trees);
      const result = await analyse(msg.request, msg.device, msg.compare);
      scope.postMessage({ id: msg.id, type: "result", result, ms: performance.now() - t0 });
    } catch (err) {
      scope.postMessage({ id: msg.id, type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) });
    }
  })();
};
