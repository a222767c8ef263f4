/**
 * The fleet benchmark's figures from raw receipts (fan-out, latency, connect-all over workers that
 * connected at once, memory per connection) and the verdicts its report prints.
 */
import { describe, expect, it } from 'vitest';
import { connectAllMs, deliveryFigures, kibPerConnection } from '../../../scripts/bench/fleet-figures.ts';
import { formatFleetReport } from '../../../scripts/bench/fleet-report.ts';
import type { FleetFigures, GroupFigures } from '../../../scripts/bench/fleet-run.ts';

describe('deliveryFigures', () => {
  it('measures fan-out per item over every part and latency from each item’s publish', () => {
    const figures = deliveryFigures(
      [
        [Float64Array.of(110, 120), Float64Array.of(150, Number.NaN)],
        [Float64Array.of(1_010, 1_030), Float64Array.of(1_020, 1_040)],
      ],
      [100, 1_000],
    );
    expect(figures.received).toBe(7);
    // Fan-outs 40 (110→150) and 30 (1010→1040); nearest-rank median of two is the lower.
    expect(figures.fanOutMedianMs).toBe(30);
    expect(figures.fanOutMaxMs).toBe(40);
    // Latencies 10, 20, 50, 10, 30, 20, 40 → sorted 10 10 20 20 30 40 50.
    expect(figures.latencyP50Ms).toBe(20);
    expect(figures.latencyP99Ms).toBe(50);
  });

  it('reports nothing rather than zero when nothing arrived', () => {
    const figures = deliveryFigures([[Float64Array.of(Number.NaN)]], [0]);
    expect(figures.received).toBe(0);
    expect(figures.fanOutMedianMs).toBeNaN();
    expect(figures.latencyP50Ms).toBeNaN();
  });
});

describe('connectAllMs and kibPerConnection', () => {
  it('runs from the first start to the last ready over all workers', () => {
    expect(
      connectAllMs([
        { startedAt: 100, lastReadyAt: 900 },
        { startedAt: 90, lastReadyAt: 1_200 },
      ]),
    ).toBe(1_110);
    expect(connectAllMs([])).toBeNaN();
  });

  it('divides resident growth by connections', () => {
    expect(kibPerConnection(100_000, 290_000, 19_000)).toBe(10);
    expect(kibPerConnection(1, 2, 0)).toBeNaN();
  });
});

const group = (name: string, kib: number, lost = 0): GroupFigures => ({
  name,
  requested: 100,
  connected: 100,
  failures: {},
  connectAllMs: 1_500,
  serverUsPerConnect: 300,
  clientUsPerConnect: 100,
  kibPerConnection: kib,
  idleCpuPercent: 1,
  received: 300 - lost,
  fanOutMedianMs: 10,
  fanOutMaxMs: 20,
  latencyP50Ms: 30,
  latencyP99Ms: 40,
  expected: 300,
  lost,
  duplicated: 0,
  dropped: 0,
  unexpectedItems: 0,
});

function report(total: GroupFigures): string {
  const figures: FleetFigures = {
    servers: [total],
    total,
    processes: [],
    publishErrors: [],
    eventPhaseMs: 3_000,
    machineBusyPercent: { connect: 95, idle: 5, events: 40 },
  };
  return formatFleetReport({
    command: 'npm run bench:fleet',
    date: '2026-12-07T00:00:00.000Z',
    nodeVersion: '24.21.0',
    servers: 1,
    clients: 100,
    events: 3,
    pollIntervalMs: 1000,
    workers: [{ server: 0, clients: 100, addresses: '127.0.1.1–127.0.1.1 (1)' }],
    openFilesLimit: 20_000,
    cores: 2,
    figures,
  });
}

describe('formatFleetReport', () => {
  it('judges memory per connection against Nchan’s 10.0 KiB, and delivery as exactly once', () => {
    const passing = report(group('total', 9.5));
    expect(passing).toContain("| memory per connection ≤ Nchan (10.0 KiB) | 9.50 KiB | 0.95× Nchan's 10.0 KiB: PASS |");
    expect(passing).toContain('| one event to all, exactly once | 300 receipts of 300; lost 0, duplicated 0 | PASS |');
    expect(passing).toContain('| total | 100 / 100 | 1.50 | 300 / 100 | 9.50 | 0.95× |');
    const failing = report(group('total', 10.5, 1));
    expect(failing).toContain("1.05× Nchan's 10.0 KiB: FAIL");
    expect(failing).toContain('lost 1, duplicated 0 | FAIL |');
  });
});
