export async function runHistory(..._a: unknown[]): Promise<number> { return 2; }
