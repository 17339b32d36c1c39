import type { Worker } from '@temporalio/worker';

/** A logger that drops everything, for bundling and workers whose logs would bury a command's output. */
export const silentLogger = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };

/** Runs several workers until `fn` settles, then shuts them all down (Worker.runUntil for many). */
export async function runWorkersUntil<T>(workers: Worker[], fn: () => Promise<T>): Promise<T> {
  const [first, ...rest] = workers;
  if (!first) return fn();
  const nested = rest.reduce<() => Promise<T>>((inner, worker) => () => worker.runUntil(inner()), fn);
  return first.runUntil(nested());
}
