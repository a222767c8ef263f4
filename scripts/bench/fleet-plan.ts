/**
 * How the fleet benchmark spreads its clients: over the `serve` processes, then over client
 * worker processes, then over loopback source addresses. Pure, so the limits it keeps are tested
 * without opening a socket (test/unit/bench/fleet-plan.test.ts).
 *
 * The limits come from the machine, not from tickerpulse:
 * - one process may hold at most 20,000 open descriptors (hard limit, cannot be raised), and each
 *   client is one socket in its server and one in its worker, so both sides are split;
 * - Node binds a source address before connecting (no IP_BIND_ADDRESS_NO_PORT), so each source
 *   address gives out its ~28,000 ephemeral ports once, whatever the destination: clients are
 *   spread so that no address comes near that.
 */

/** The limits a plan keeps. */
interface PlanLimits {
  /** Streams one server process holds, under its descriptor limit with room for the store, logs and the listener. */
  readonly maxClientsPerServer: number;
  /** Sockets one client worker process holds, under the same limit with room for stdio and IPC. */
  readonly maxClientsPerWorker: number;
  /** Clients per source address, far under its ephemeral port range. */
  readonly maxClientsPerAddress: number;
}

/** One client worker: which server it connects to, how many clients, from which addresses. */
interface WorkerPlan {
  readonly index: number;
  readonly server: number;
  readonly clients: number;
  readonly localAddresses: readonly string[];
}

interface FleetPlan {
  /** Clients per server, by server index. */
  readonly serverClients: readonly number[];
  readonly workers: readonly WorkerPlan[];
}

const DEFAULT_LIMITS: PlanLimits = {
  maxClientsPerServer: 19_000,
  maxClientsPerWorker: 18_000,
  maxClientsPerAddress: 1_000,
};

/** Source addresses per /24 block: 127.0.b.1 to 127.0.b.254. */
const HOSTS_PER_BLOCK = 254;

/** `total` split into `parts` whole numbers differing by at most one, the larger first. */
function spreadEvenly(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const extra = total % parts;
  return Array.from({ length: parts }, (_, i) => base + (i < extra ? 1 : 0));
}

/**
 * Source addresses of worker `worker`: its own /24 block, 127.0.(worker + 1).x, so no two workers
 * share an address and 127.0.0.1 (where the servers and the store listen) is never one of them.
 */
function workerAddresses(worker: number, count: number): string[] {
  if (worker + 1 > 255) throw new Error(`worker ${worker}: no /24 block left in 127.0.0.0/16`);
  if (count > HOSTS_PER_BLOCK) throw new Error(`worker ${worker}: ${count} addresses do not fit one /24 block`);
  return Array.from({ length: count }, (_, i) => `127.0.${worker + 1}.${i + 1}`);
}

/** Why `clients` cannot be spread over `servers` within `limits`, or undefined when it can. */
function planProblem(clients: number, servers: number, limits: PlanLimits = DEFAULT_LIMITS): string | undefined {
  if (!Number.isInteger(clients) || clients < 1) return `clients must be a positive integer, not ${clients}`;
  if (!Number.isInteger(servers) || servers < 1) return `servers must be a positive integer, not ${servers}`;
  const most = servers * limits.maxClientsPerServer;
  if (clients > most) {
    return (
      `${clients} clients do not fit ${servers} server process(es) of at most ` +
      `${limits.maxClientsPerServer} each (${most}); add servers`
    );
  }
  return undefined;
}

/** Clients over servers evenly, each server's over as few workers as its limit allows, each worker's over addresses. */
function planFleet(clients: number, servers: number, limits: PlanLimits = DEFAULT_LIMITS): FleetPlan {
  const problem = planProblem(clients, servers, limits);
  if (problem !== undefined) throw new Error(problem);
  const serverClients = spreadEvenly(clients, servers);
  const workers: WorkerPlan[] = [];
  serverClients.forEach((count, server) => {
    if (count === 0) return;
    const shares = spreadEvenly(count, Math.ceil(count / limits.maxClientsPerWorker));
    for (const share of shares) {
      const index = workers.length;
      const addresses = Math.ceil(share / limits.maxClientsPerAddress);
      workers.push({ index, server, clients: share, localAddresses: workerAddresses(index, addresses) });
    }
  });
  return { serverClients, workers };
}

export type { FleetPlan, PlanLimits, WorkerPlan };
export { DEFAULT_LIMITS, planFleet, planProblem, spreadEvenly, workerAddresses };
