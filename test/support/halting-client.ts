/**
 * DynamoDB clients that "crash" after a number of commands: the first `haltAfter` commands reach
 * the store, every later one is refused before it leaves the process. That is what a writer
 * killed between two store calls leaves behind, in-process, so property tests can crash writers
 * at any step cheaply. Commands already sent still land (like requests in flight at a crash);
 * `settled()` waits for them.
 */
import { createDynamoClients, type DynamoClients } from '../../src/store/index.ts';

class WriterCrashed extends Error {
  override readonly name = 'WriterCrashed';
}

interface HaltingClients extends DynamoClients {
  /** Commands that reached the store so far. */
  passed(): number;
  /** True once a command was refused. */
  halted(): boolean;
  /** Resolves when every command that reached the store has its answer. */
  settled(): Promise<void>;
  destroy(): void;
}

function createHaltingClients(endpoint: string, haltAfter = Number.POSITIVE_INFINITY): HaltingClients {
  const clients = createDynamoClients(endpoint);
  let passed = 0;
  let halted = false;
  const inFlight = new Set<Promise<unknown>>();
  // `initialize` runs once per command, before the SDK's retries: a refused command is never retried.
  clients.client.middlewareStack.add(
    (next) => (args) => {
      if (passed >= haltAfter) {
        halted = true;
        return Promise.reject(new WriterCrashed(`crashed before store call ${passed + 1}`));
      }
      passed += 1;
      const sent = next(args);
      inFlight.add(sent);
      void sent.then(
        () => inFlight.delete(sent),
        () => inFlight.delete(sent),
      );
      return sent;
    },
    { step: 'initialize', name: 'haltAfterCommands', priority: 'high' },
  );
  return {
    ...clients,
    passed: () => passed,
    halted: () => halted,
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    destroy: () => {
      clients.client.destroy();
    },
  };
}

export type { HaltingClients };
export { createHaltingClients, WriterCrashed };
