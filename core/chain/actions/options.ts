/** What every action takes besides its ABI parameters. */
export interface ActionOptions {
  /** Stops waiting (for the answer, or for the receipt of a transaction). */
  signal?: AbortSignal;
}
