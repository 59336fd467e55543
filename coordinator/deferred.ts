/** A promise with its settle functions, for lifetimes that end from outside the promise (ES2024's Promise.withResolvers). */
export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  let reject: (error: unknown) => void = () => undefined;
  const promise = new Promise<void>((settleOk, settleFailed) => {
    resolve = settleOk;
    reject = settleFailed;
  });
  // Owners may never await it; the error is reported where it happens.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}
