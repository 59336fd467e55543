/**
 * Default fraction of coordinates `topk` keeps, for the daemon, the demo and the benchmarks: 10%.
 * In `bench compression` (MLP, 4 peers, 10 rounds, error feedback) it sends 35.8× fewer bytes
 * than fp32 for 0.31 pp of accuracy; 3% loses 0.99 pp for 99×, 30% loses nothing for 15×.
 */
export const DEFAULT_TOPK_FRACTION = 0.1;

/**
 * Default bound on the L2 norm of an update's decoded delta, for the daemon and the coordinator
 * alike. Honest updates under the defaults (100 Adam steps at lr 0.003, top-k with error feedback)
 * measure 7–11 on the MLP and 2–4 on the CNN; Adam moves a coordinate about lr per step at most,
 * so a default MLP delta stays under about 0.3 · √101,770 ≈ 96, too close to 100 for longer local
 * training. 1000 is also the bound the robustness benchmarks run with; the robust aggregation,
 * not this bound, is what tames large malicious updates.
 */
export const DEFAULT_MAX_UPDATE_NORM = 1000;
