/**
 * What every test under AWS's runtime interface client starts from: the package fetched and
 * prepared, the task roots built, a dynalite store. Whatever was created is undone in reverse
 * by `close()`, including what the test adds with `defer()`; a start that fails part-way undoes
 * what it got as far as creating before it rethrows.
 */
import { buildTaskRoots, prepareRicRuntime, type RicRuntime, type TaskRoots } from './ric-function.ts';
import { ricPackage } from './ric-package.ts';
import { startTestStore, type TestStore } from './test-store.ts';

interface RicBed {
  readonly runtime: RicRuntime;
  readonly roots: TaskRoots;
  readonly store: TestStore;
  /** Adds an undo step, run before the earlier ones. */
  defer(cleanup: () => unknown): void;
  close(): Promise<void>;
}

async function startRicBed(storeOptions?: Parameters<typeof startTestStore>[0]): Promise<RicBed> {
  const cleanups: (() => unknown)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const runtime = prepareRicRuntime(await ricPackage());
    cleanups.push(() => {
      runtime.remove();
    });
    const roots = await buildTaskRoots();
    cleanups.push(() => {
      roots.remove();
    });
    const store = await startTestStore(storeOptions);
    cleanups.push(() => store.close());
    return { runtime, roots, store, defer: (cleanup) => cleanups.push(cleanup), close };
  } catch (error) {
    await close();
    throw error;
  }
}

export type { RicBed };
export { startRicBed };
