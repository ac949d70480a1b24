/**
 * A guest's interrupt line: an MSI-X table ({@link InterruptTable}) that also rings one doorbell — the line —
 * whenever it delivers any vector, the way every MSI of a device ends up interrupting the same guest CPU.
 *
 * Why: the device model raises several vectors (controlq, eventq, and one per region bound with
 * `EVENT_VECTOR_SET`), but a thread can sleep on only one word. The driver sleeps on the line and, once woken,
 * looks at its queues and bound vectors; no interrupt is lost because the line is rung after the vector's own
 * doorbell (and after the used ring was published), and the driver reads the line before it looks.
 *
 * @module
 */
import { Doorbell, InterruptTable } from "../../notify/index.js";
import type { InterruptDelivery } from "../../notify/index.js";

/** An interrupt table whose deliveries also ring {@link LineInterruptTable.line}. */
export class LineInterruptTable extends InterruptTable {
  /** Rung after every delivered interrupt. */
  readonly line: Doorbell;

  /**
   * @param vectorCount - number of vectors
   * @param line - the line doorbell (default: a fresh one)
   * @throws NotifyError as {@link InterruptTable}
   */
  constructor(vectorCount: number, line: Doorbell = Doorbell.create()) {
    super(vectorCount);
    this.line = line;
  }

  /** Raises `vector`; a delivery also rings the line. */
  override raise(vector: number): InterruptDelivery {
    const outcome = super.raise(vector);
    if (outcome === "delivered") this.line.ring();
    return outcome;
  }

  /** Unmasks `vector`; a pending interrupt delivered now also rings the line. */
  override unmask(vector: number): boolean {
    const delivered = super.unmask(vector);
    if (delivered) this.line.ring();
    return delivered;
  }
}
