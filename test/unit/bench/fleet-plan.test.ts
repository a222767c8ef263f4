/**
 * How `npm run bench:fleet` spreads its clients: every client placed once, no server or client
 * worker process over its share of the 20,000-descriptor limit, no source address shared by two
 * workers or loaded near its ephemeral port range, and 127.0.0.1 (where the servers listen) never
 * used as a source.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LIMITS,
  planFleet,
  planProblem,
  spreadEvenly,
  workerAddresses,
} from '../../../scripts/bench/fleet-plan.ts';

describe('spreadEvenly', () => {
  it('splits into parts that differ by at most one, larger first, summing to the total', () => {
    expect(spreadEvenly(50_000, 3)).toEqual([16_667, 16_667, 16_666]);
    expect(spreadEvenly(19_000, 2)).toEqual([9_500, 9_500]);
    expect(spreadEvenly(2, 3)).toEqual([1, 1, 0]);
  });
});

describe('planFleet', () => {
  it('puts 19,000 clients on one server through two workers', () => {
    const plan = planFleet(19_000, 1);
    expect(plan.serverClients).toEqual([19_000]);
    expect(plan.workers.map((w) => [w.server, w.clients, w.localAddresses.length])).toEqual([
      [0, 9_500, 10],
      [0, 9_500, 10],
    ]);
    expect(plan.workers[1]?.localAddresses[0]).toBe('127.0.2.1');
  });

  it('puts 50,000 clients on three servers, one worker each, from 17 addresses each', () => {
    const plan = planFleet(50_000, 3);
    expect(plan.serverClients).toEqual([16_667, 16_667, 16_666]);
    expect(plan.workers.map((w) => [w.server, w.clients, w.localAddresses.length])).toEqual([
      [0, 16_667, 17],
      [1, 16_667, 17],
      [2, 16_666, 17],
    ]);
    expect(plan.workers[2]?.localAddresses.at(-1)).toBe('127.0.3.17');
  });

  it('refuses more clients than the servers may hold, and says to add servers', () => {
    expect(planProblem(19_001, 1)).toMatch(/do not fit 1 server process\(es\) of at most 19000 each.*add servers/);
    expect(planProblem(57_000, 3)).toBeUndefined();
    expect(() => planFleet(57_001, 3)).toThrow(/do not fit/);
    expect(planProblem(0, 1)).toMatch(/positive integer/);
  });

  it('keeps every limit for any client count the command accepts', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 57_000 }), (servers, clients) => {
        fc.pre(planProblem(clients, servers) === undefined);
        const plan = planFleet(clients, servers);
        expect(plan.serverClients.reduce((a, b) => a + b, 0)).toBe(clients);
        expect(Math.max(...plan.serverClients)).toBeLessThanOrEqual(DEFAULT_LIMITS.maxClientsPerServer);
        const perServer = plan.serverClients.map(() => 0);
        const addresses = new Set<string>();
        for (const worker of plan.workers) {
          perServer[worker.server] = (perServer[worker.server] ?? 0) + worker.clients;
          expect(worker.clients).toBeLessThanOrEqual(DEFAULT_LIMITS.maxClientsPerWorker);
          expect(worker.clients / worker.localAddresses.length).toBeLessThanOrEqual(
            DEFAULT_LIMITS.maxClientsPerAddress,
          );
          for (const address of worker.localAddresses) {
            expect(address).toMatch(
              /^127\.0\.([1-9]|[1-9]\d|1\d\d|2[0-4]\d|25[0-5])\.([1-9]|[1-9]\d|1\d\d|2[0-4]\d|25[0-4])$/,
            );
            expect(addresses.has(address)).toBe(false);
            addresses.add(address);
          }
        }
        expect(perServer).toEqual(plan.serverClients);
      }),
    );
  });
});

describe('workerAddresses', () => {
  it('refuses more addresses than one /24 block holds', () => {
    expect(workerAddresses(0, 254)).toHaveLength(254);
    expect(() => workerAddresses(0, 255)).toThrow(/do not fit one \/24 block/);
  });
});
