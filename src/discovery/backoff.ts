/**
 * Delay before reconnect attempt `attempt` (0-based): exponential from `minMs`, capped at `maxMs`, with
 * "equal jitter" (half fixed, half random) so that many watchers restarting together spread out.
 *
 * @example
 * reconnectDelay(0, 250, 10_000); // 125..250
 * reconnectDelay(9, 250, 10_000); // 5000..10000
 */
export function reconnectDelay(attempt: number, minMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
