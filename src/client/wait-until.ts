/**
 * Polls `predicate` (a query of workflow state, a file, a list) until it holds. For clients and
 * tests waiting on runs they started; workflows wait with `condition` instead.
 */
export async function waitUntil(
  predicate: () => Promise<boolean>,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 90_000);
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
