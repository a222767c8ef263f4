/**
 * The stream benchmark's target table (`npm run bench`): connecting every client and an item's
 * way from ingest to a client are judged against the floor measured in the same run.
 */
import { describe, expect, it } from 'vitest';
import { formatReport } from '../../../scripts/bench/report.ts';
import type { StreamFigures } from '../../../scripts/bench/stream-run.ts';

const figures = (name: string, connectAllMs: number, latencyP50Ms: number): StreamFigures => ({
  name,
  requested: 10_000,
  connected: 10_000,
  connectFailures: new Map(),
  connectAllMs,
  kibPerConnection: 12,
  rssBaseKiB: 200 * 1024,
  rssConnectedKiB: 320 * 1024,
  idleCpuMsPerS: 10,
  usPerDelivery: 10,
  usPerItemDelivery: 20,
  deliveries: 300_000,
  fanOutMedianMs: 150,
  fanOutMaxMs: 250,
  publishToLastMedianMs: 300,
  latencyP50Ms,
  latencyP99Ms: latencyP50Ms * 2,
  queriesPerPoll: name === 'floor' ? undefined : 2,
  polls: name === 'floor' ? undefined : 10,
  expected: 100_000,
  lost: 0,
  duplicated: 0,
  dropped: 0,
  publishErrors: [],
  phaseEventsByType: new Map([['new_item', 100_000]]),
  unexpectedItems: 0,
  phaseMs: 10_000,
  clientCpuMs: 2_000,
  publishedCount: 10,
  serverPhaseCpuMs: 3_000,
});

function report(floor: StreamFigures, tickerpulse: StreamFigures, peer?: StreamFigures): string {
  return formatReport({
    command: 'npm run bench',
    nodeVersion: '24.21.0',
    clients: 10_000,
    events: 10,
    rate: 1,
    localAddresses: ['127.0.0.1'],
    openFilesLimit: 20_000,
    floor,
    peer: peer === undefined ? { kind: 'unavailable', reason: 'not installed' } : { kind: 'measured', figures: peer },
    tickerpulse: { kind: 'measured', figures: tickerpulse },
  });
}

const targetRow = (text: string, target: string) => text.split('\n').find((line) => line.startsWith(`| ${target} |`));

describe('the benchmark’s target table', () => {
  it('judges connect all and latency p50 against the floor of the same run', () => {
    const passing = report(figures('floor', 2_000, 100), figures('tickerpulse', 3_000, 150));
    expect(targetRow(passing, 'connect all ≤ 1.5× floor')).toBe('| connect all ≤ 1.5× floor | 1.50× | PASS |');
    expect(targetRow(passing, 'latency p50 ≤ 1.5× floor')).toBe('| latency p50 ≤ 1.5× floor | 1.50× | PASS |');

    const failing = report(figures('floor', 2_000, 100), figures('tickerpulse', 4_200, 400));
    expect(targetRow(failing, 'connect all ≤ 1.5× floor')).toBe('| connect all ≤ 1.5× floor | 2.10× | FAIL |');
    expect(targetRow(failing, 'latency p50 ≤ 1.5× floor')).toBe('| latency p50 ≤ 1.5× floor | 4.00× | FAIL |');
  });

  it('prints each server’s resident memory at start and with its clients', () => {
    const text = report(figures('floor', 2_000, 100), figures('tickerpulse', 3_000, 150));
    expect(text).toContain('- tickerpulse: resident memory 200.0 MB before the connects, 320.0 MB with 10000 clients');
    expect(text).toContain('- floor: resident memory 200.0 MB before the connects');
  });

  it('says n/a without a floor to compare with', () => {
    const text = formatReport({
      command: 'npm run bench -- --only tickerpulse',
      nodeVersion: '24.21.0',
      clients: 10_000,
      events: 10,
      rate: 1,
      localAddresses: ['127.0.0.1'],
      openFilesLimit: 20_000,
      floor: undefined,
      peer: { kind: 'skipped' },
      tickerpulse: { kind: 'measured', figures: figures('tickerpulse', 3_000, 150) },
    });
    expect(targetRow(text, 'connect all ≤ 1.5× floor')).toBe('| connect all ≤ 1.5× floor | — | n/a |');
  });

  it('judges tickerpulse against the peer, Nchan, measured in the same run: each figure at most 1.0×', () => {
    const peer = { ...figures('nchan', 1_000, 80), kibPerConnection: 10, usPerItemDelivery: 15, idleCpuMsPerS: 0 };
    const behind = report(figures('floor', 1_400, 90), figures('tickerpulse', 1_200, 120), peer);
    expect(targetRow(behind, 'connect all ≤ 1.0× Nchan')).toBe('| connect all ≤ 1.0× Nchan | 1.20× | FAIL |');
    expect(targetRow(behind, 'memory per connection ≤ 1.0× Nchan')).toBe(
      '| memory per connection ≤ 1.0× Nchan | 1.20× | FAIL |',
    );
    expect(targetRow(behind, 'ingest→client latency p50 ≤ 1.0× Nchan')).toBe(
      '| ingest→client latency p50 ≤ 1.0× Nchan | 1.50× | FAIL |',
    );
    expect(targetRow(behind, 'idle CPU with 10000 idle clients ≤ 1 % of a core')).toBe(
      '| idle CPU with 10000 idle clients ≤ 1 % of a core | 1.0 % | PASS |',
    );
    const ahead = report(
      figures('floor', 1_400, 90),
      { ...figures('tickerpulse', 900, 70), kibPerConnection: 9 },
      peer,
    );
    expect(targetRow(ahead, 'connect all ≤ 1.0× Nchan')).toBe('| connect all ≤ 1.0× Nchan | 0.90× | PASS |');
    expect(targetRow(ahead, 'memory per connection ≤ 1.0× Nchan')).toBe(
      '| memory per connection ≤ 1.0× Nchan | 0.90× | PASS |',
    );
    expect(ahead).toContain('| tickerpulse ÷ nchan |');
  });

  it('says how to install the peer when it is missing, and judges nothing against it', () => {
    const text = report(figures('floor', 1_400, 90), figures('tickerpulse', 1_200, 120));
    expect(text).toContain('| nchan | not available: not installed |');
    expect(text).not.toContain('Nchan |');
  });
});
