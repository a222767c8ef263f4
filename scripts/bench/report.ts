/**
 * Turns the figures into the Markdown the benchmark prints: one row per server, tickerpulse as
 * ratios to the floor, the targets with PASS/FAIL words, then the details behind them.
 */
import type { StreamFigures } from './stream-run.ts';

/** What there is to report for a server: figures, a reason it was not measured, or nothing asked. */
type ServerResult =
  | { readonly kind: 'measured'; readonly figures: StreamFigures }
  | { readonly kind: 'unavailable'; readonly reason: string }
  | { readonly kind: 'skipped' };

/** Everything the report needs. */
interface ReportInput {
  readonly command: string;
  readonly nodeVersion: string;
  readonly clients: number;
  readonly events: number;
  readonly rate: number;
  readonly localAddresses: readonly string[];
  readonly openFilesLimit: number | undefined;
  readonly floor: StreamFigures | undefined;
  /** The peer, nginx + Nchan (nchan-target.ts). */
  readonly peer: ServerResult;
  readonly tickerpulse: ServerResult;
}

const TARGET_CLIENTS = 10_000;
const MAX_RATIO = 1.25;
/** Connecting every client, and an item's way from ingest to a client, against the floor's. */
const MAX_CONNECT_RATIO = 1.5;
const MAX_LATENCY_RATIO = 1.5;
const MAX_MEDIAN_FAN_OUT_MS = 200;
/** Against the peer every figure must be at least as good, and idle CPU at most this % of a core. */
const MAX_PEER_RATIO = 1;
const MAX_IDLE_CPU_PERCENT = 1;

function num(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function figuresRow(f: StreamFigures): string {
  return row([
    f.name,
    `${f.connected} / ${f.requested}`,
    num(f.connectAllMs / 1000, 2),
    num(f.kibPerConnection, 2),
    num(f.idleCpuMsPerS / 10, 1), // ms of CPU per s → % of one core
    num(f.usPerDelivery, 2),
    `${num(f.fanOutMedianMs, 1)} / ${num(f.fanOutMaxMs, 1)}`,
    num(f.publishToLastMedianMs, 1),
    `${num(f.latencyP50Ms, 1)} / ${num(f.latencyP99Ms, 1)}`,
    num(f.queriesPerPoll, 2),
    String(f.lost),
    String(f.duplicated),
  ]);
}

function ratio(value: number, floor: number): number {
  return floor > 0 ? value / floor : Number.NaN;
}

function verdict(ok: boolean | undefined): string {
  if (ok === undefined) return 'n/a';
  return ok ? 'PASS' : 'FAIL';
}

/** `value` ≤ `max`× the floor's, as a table row. */
function ratioRow(target: string, value: number, floor: number | undefined, max: number): string {
  const measured = floor === undefined ? Number.NaN : ratio(value, floor);
  const known = Number.isFinite(measured);
  return row([target, known ? `${num(measured, 2)}×` : '—', verdict(known ? measured <= max : undefined)]);
}

function targetRows(t: StreamFigures, floor: StreamFigures | undefined, rate: number): string[] {
  const memoryRatio = floor === undefined ? Number.NaN : ratio(t.kibPerConnection, floor.kibPerConnection);
  const cpuRatio = floor === undefined ? Number.NaN : ratio(t.usPerDelivery, floor.usPerDelivery);
  const itemCpuRatio = floor === undefined ? Number.NaN : ratio(t.usPerItemDelivery, floor.usPerItemDelivery);
  const known = (value: number, ok: boolean): boolean | undefined => (Number.isFinite(value) ? ok : undefined);
  return [
    row(['target', 'measured', 'result']),
    row(['---', '---', '---']),
    row([
      `${TARGET_CLIENTS.toLocaleString('en-US')} clients connected`,
      `${t.connected} / ${t.requested}`,
      t.requested < TARGET_CLIENTS ? 'n/a (fewer requested)' : verdict(t.connected >= TARGET_CLIENTS),
    ]),
    ratioRow(`connect all ≤ ${MAX_CONNECT_RATIO}× floor`, t.connectAllMs, floor?.connectAllMs, MAX_CONNECT_RATIO),
    ratioRow(`latency p50 ≤ ${MAX_LATENCY_RATIO}× floor`, t.latencyP50Ms, floor?.latencyP50Ms, MAX_LATENCY_RATIO),
    row([
      `memory per idle connection ≤ ${MAX_RATIO}× floor`,
      `${num(memoryRatio, 2)}×`,
      verdict(known(memoryRatio, memoryRatio <= MAX_RATIO)),
    ]),
    row([
      `CPU per delivery (global stream) ≤ ${MAX_RATIO}× floor`,
      `${num(cpuRatio, 2)}×`,
      verdict(known(cpuRatio, cpuRatio <= MAX_RATIO)),
    ]),
    // The stricter reading: tickerpulse sends metrics and sentiment_update with each new item and
    // the floor does not, so per delivered event and per delivered item can disagree.
    row([
      `CPU per delivered item (new_item only) ≤ ${MAX_RATIO}× floor`,
      `${num(itemCpuRatio, 2)}×`,
      verdict(known(itemCpuRatio, itemCpuRatio <= MAX_RATIO)),
    ]),
    row([
      `median fan-out ≤ ${MAX_MEDIAN_FAN_OUT_MS} ms at 1 event/s`,
      `${num(t.fanOutMedianMs, 1)} ms at ${rate} event/s`,
      verdict(known(t.fanOutMedianMs, t.fanOutMedianMs <= MAX_MEDIAN_FAN_OUT_MS)),
    ]),
    row([
      'store queries per poll constant in N',
      t.queriesPerPoll === undefined ? 'no feed counters' : `${num(t.queriesPerPoll, 2)} at N = ${t.connected}`,
      t.queriesPerPoll === undefined ? 'n/a' : 'compare with a run at another --clients',
    ]),
    row(['zero loss', `lost ${t.lost}, duplicated ${t.duplicated}`, verdict(t.lost === 0 && t.duplicated === 0)]),
  ];
}

/** The targets against the peer: connect-all, memory, latency and CPU per delivered item each ≤ 1.0× Nchan. */
function peerRows(t: StreamFigures, peer: StreamFigures): string[] {
  const check = (label: string, value: number, peerValue: number): string => {
    const measured = ratio(value, peerValue);
    const known = Number.isFinite(measured);
    return row([label, known ? `${num(measured, 2)}×` : '—', verdict(known ? measured <= MAX_PEER_RATIO : undefined)]);
  };
  const idlePercent = t.idleCpuMsPerS / 10;
  return [
    row(['target against the peer', 'measured', 'result']),
    row(['---', '---', '---']),
    check(`connect all ≤ ${MAX_PEER_RATIO.toFixed(1)}× Nchan`, t.connectAllMs, peer.connectAllMs),
    check(`memory per connection ≤ ${MAX_PEER_RATIO.toFixed(1)}× Nchan`, t.kibPerConnection, peer.kibPerConnection),
    check(`ingest→client latency p50 ≤ ${MAX_PEER_RATIO.toFixed(1)}× Nchan`, t.latencyP50Ms, peer.latencyP50Ms),
    // Per delivered item: the server's CPU in the event phase, the ingests included, over the items delivered.
    check(
      `CPU per delivered item, ingest included, ≤ ${MAX_PEER_RATIO.toFixed(1)}× Nchan`,
      t.usPerItemDelivery,
      peer.usPerItemDelivery,
    ),
    row([
      `idle CPU with ${t.connected} idle clients ≤ ${MAX_IDLE_CPU_PERCENT} % of a core`,
      `${num(idlePercent, 1)} %`,
      verdict(Number.isFinite(idlePercent) ? idlePercent <= MAX_IDLE_CPU_PERCENT : undefined),
    ]),
    row(['zero loss', `lost ${t.lost}, duplicated ${t.duplicated}`, verdict(t.lost === 0 && t.duplicated === 0)]),
  ];
}

/** A row of `t`'s figures as ratios to `base`'s. */
function ratiosRow(label: string, t: StreamFigures, base: StreamFigures): string {
  return row([
    label,
    '',
    `${num(ratio(t.connectAllMs, base.connectAllMs), 2)}×`,
    `${num(ratio(t.kibPerConnection, base.kibPerConnection), 2)}×`,
    '',
    `${num(ratio(t.usPerDelivery, base.usPerDelivery), 2)}×`,
    '',
    '',
    `${num(ratio(t.latencyP50Ms, base.latencyP50Ms), 2)}× (p50)`,
    '',
    '',
    '',
  ]);
}

function details(f: StreamFigures): string[] {
  const lines = [
    `- ${f.name}: ${f.deliveries} events delivered in the event phase ${JSON.stringify(Object.fromEntries(f.phaseEventsByType))}; ` +
      `${num(f.usPerItemDelivery, 2)} µs CPU per published item delivered; ${f.expected} item deliveries expected`,
  ];
  lines.push(
    `- ${f.name}: event phase ${num(f.phaseMs / 1000, 1)} s; server CPU in it ${num(f.serverPhaseCpuMs, 0)} ms, ` +
      `of which ${num((f.idleCpuMsPerS * f.phaseMs) / 1000, 0)} ms taken off at the idle rate; client process CPU in it ${num(f.clientCpuMs, 0)} ms ` +
      `(${num((f.clientCpuMs * 100) / f.phaseMs, 0)}% of one core on average, ${num((f.clientCpuMs * 1000) / f.deliveries, 2)} µs ` +
      `per event received, ${num(f.clientCpuMs / f.publishedCount, 1)} ms per published item, roughly the shortest fan-out these clients can observe)`,
  );
  lines.push(
    `- ${f.name}: resident memory ${num(f.rssBaseKiB / 1024, 1)} MB before the connects, ` +
      `${num(f.rssConnectedKiB / 1024, 1)} MB with ${f.connected} clients (KiB/conn is the growth ÷ clients; ` +
      'free heap the server already holds at the start is reused before it grows, so that figure can read low)',
  );
  if (f.connectFailures.size > 0) {
    lines.push(`- ${f.name}: connect failures ${JSON.stringify(Object.fromEntries(f.connectFailures))}`);
  }
  if (f.dropped > 0) lines.push(`- ${f.name}: ${f.dropped} clients lost their connection after connecting`);
  if (f.unexpectedItems > 0)
    lines.push(`- ${f.name}: ${f.unexpectedItems} new_item events for items not published by this run`);
  if (f.publishErrors.length > 0) lines.push(`- ${f.name}: publish errors: ${f.publishErrors.join('; ')}`);
  if (f.polls !== undefined) lines.push(`- ${f.name}: ${f.polls} feed polls during the event phase`);
  return lines;
}

/** The whole report as Markdown. */
function formatReport(input: ReportInput): string {
  const { floor, peer, tickerpulse } = input;
  const measured = tickerpulse.kind === 'measured' ? tickerpulse.figures : undefined;
  const peerFigures = peer.kind === 'measured' ? peer.figures : undefined;
  const lines = [
    `Stream benchmark: \`${input.command}\``,
    '',
    `Node ${input.nodeVersion}; ${input.clients} clients over ${input.localAddresses.join(', ')}; ` +
      `${input.events} events at ${input.rate}/s; open-files limit ${input.openFilesLimit ?? 'unknown'}`,
    '',
    row([
      'server',
      'clients',
      'connect all (s)',
      'KiB/conn',
      'idle CPU %',
      'µs/delivery',
      'fan-out median / max (ms)',
      'publish→last median (ms)',
      'latency p50 / p99 (ms)',
      'queries/poll',
      'lost',
      'duplicated',
    ]),
    row(Array.from({ length: 12 }, () => '---')),
  ];
  if (floor !== undefined) lines.push(figuresRow(floor));
  if (peerFigures !== undefined) lines.push(figuresRow(peerFigures));
  if (peer.kind === 'unavailable') {
    lines.push(row(['nchan', `not available: ${peer.reason}`, ...Array.from({ length: 10 }, () => '')]));
  }
  if (measured !== undefined) lines.push(figuresRow(measured));
  if (tickerpulse.kind === 'unavailable') {
    lines.push(row(['tickerpulse', `not available: ${tickerpulse.reason}`, ...Array.from({ length: 10 }, () => '')]));
  }
  if (floor !== undefined && measured !== undefined) {
    const memory = ratio(measured.kibPerConnection, floor.kibPerConnection);
    const cpu = ratio(measured.usPerDelivery, floor.usPerDelivery);
    lines.push(
      row([
        'tickerpulse ÷ floor',
        '',
        `${num(ratio(measured.connectAllMs, floor.connectAllMs), 2)}×`,
        `${num(memory, 2)}× (target ≤ ${MAX_RATIO}×: ${verdict(Number.isFinite(memory) ? memory <= MAX_RATIO : undefined)})`,
        '',
        `${num(cpu, 2)}× (target ≤ ${MAX_RATIO}×: ${verdict(Number.isFinite(cpu) ? cpu <= MAX_RATIO : undefined)})`,
        '',
        '',
        `${num(ratio(measured.latencyP50Ms, floor.latencyP50Ms), 2)}× (p50)`,
        '',
        '',
        '',
      ]),
    );
  }
  if (peerFigures !== undefined && floor !== undefined) lines.push(ratiosRow('nchan ÷ floor', peerFigures, floor));
  if (measured !== undefined && peerFigures !== undefined)
    lines.push(ratiosRow('tickerpulse ÷ nchan', measured, peerFigures));
  if (measured !== undefined) lines.push('', ...targetRows(measured, floor, input.rate));
  if (measured !== undefined && peerFigures !== undefined) lines.push('', ...peerRows(measured, peerFigures));
  const all = [floor, peerFigures, measured].filter((f): f is StreamFigures => f !== undefined);
  if (all.length > 0) lines.push('', ...all.flatMap(details));
  lines.push(
    '',
    'µs/delivery: server CPU above its idle rate during the event phase ÷ events (of any type) the clients received in it. ' +
      'Fan-out: last − first client receive per event. Latency: client receive − publish request sent. ' +
      'Receive times are taken in the client process, which shares the machine with the server.',
  );
  return `${lines.join('\n')}\n`;
}

export type { ReportInput, ServerResult };
export { formatReport };
