/**
 * The one clock every process of `bench:push` stamps with. Linux's CLOCK_MONOTONIC (which
 * `process.hrtime` reads) is system-wide, so a stamp taken in the coordinator process and one
 * taken in the benchmark process compare directly. Wall time would not do: each process samples
 * it once at start (`performance.timeOrigin`), and the system clock may be slewed in between.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
