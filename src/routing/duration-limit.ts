/**
 * The longest duration swarmgate takes anywhere (flags, health checks): 24 days. Node's timers hold at
 * most 2^31-1 ms (about 24.8 days) and fire after 1 ms for anything longer, which would turn a
 * "practically never" into "at once".
 */
export const MAX_DURATION_MS = 24 * 86_400_000;

/** {@link MAX_DURATION_MS} as written in a flag or label. */
export const MAX_DURATION_TEXT = '24d';
