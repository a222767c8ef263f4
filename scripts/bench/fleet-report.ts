/**
 * The Markdown `npm run bench:fleet` prints: one row per serve process and a total, memory per
 * connection against Nchan's, then every process's memory and CPU (the store and the client
 * workers too: which one saturates first is what limits the fleet), then the details.
 */
import type { FleetFigures, GroupFigures, ProcessFigures } from './fleet-run.ts';

/** Nchan's resident growth per connection at 10,000 clients, measured by `npm run bench` here. */
const NCHAN_KIB_PER_CONNECTION = 10.0;

interface FleetReportInput {
  readonly command: string;
  readonly date: string;
  readonly nodeVersion: string;
  readonly servers: number;
  readonly clients: number;
  readonly events: number;
  readonly pollIntervalMs: number;
  readonly workers: readonly { readonly server: number; readonly clients: number; readonly addresses: string }[];
  readonly openFilesLimit: number | undefined;
  readonly cores: number;
  readonly figures: FleetFigures;
}

function num(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

const mib = (kib: number): string => num(kib / 1024, 0);

function groupRow(g: GroupFigures): string {
  return row([
    g.name,
    `${g.connected} / ${g.requested}`,
    num(g.connectAllMs / 1000, 2),
    `${num(g.serverUsPerConnect, 0)} / ${num(g.clientUsPerConnect, 0)}`,
    num(g.kibPerConnection, 2),
    `${num(g.kibPerConnection / NCHAN_KIB_PER_CONNECTION, 2)}×`,
    num(g.idleCpuPercent, 1),
    `${num(g.fanOutMedianMs, 1)} / ${num(g.fanOutMaxMs, 1)}`,
    `${num(g.latencyP50Ms, 1)} / ${num(g.latencyP99Ms, 1)}`,
    String(g.lost),
    String(g.duplicated),
    String(g.dropped),
  ]);
}

function processRow(p: ProcessFigures): string {
  return row([
    p.name,
    String(p.pid),
    `${mib(p.rssBaseKiB)} → ${mib(p.rssConnectedKiB)}`,
    num(p.openFiles, 0),
    num(p.connectCpuPercent, 0),
    num(p.idleCpuPercent, 1),
    num(p.eventCpuPercent, 0),
  ]);
}

function groupDetails(g: GroupFigures): string[] {
  const lines: string[] = [];
  if (Object.keys(g.failures).length > 0) lines.push(`- ${g.name}: connect failures ${JSON.stringify(g.failures)}`);
  if (g.dropped > 0) lines.push(`- ${g.name}: ${g.dropped} clients lost their connection after connecting`);
  if (g.unexpectedItems > 0) lines.push(`- ${g.name}: ${g.unexpectedItems} new_item events not published by this run`);
  return lines;
}

/** Memory per connection against Nchan's, as the issue asks it: ≤ 1.0×. */
function nchanVerdict(total: GroupFigures): string {
  const ratio = total.kibPerConnection / NCHAN_KIB_PER_CONNECTION;
  if (!Number.isFinite(ratio)) return 'n/a';
  return `${num(ratio, 2)}× Nchan's ${NCHAN_KIB_PER_CONNECTION.toFixed(1)} KiB: ${ratio <= 1 ? 'PASS' : 'FAIL'}`;
}

function formatFleetReport(input: FleetReportInput): string {
  const { figures: f } = input;
  const allConnected = f.total.connected === input.clients;
  const exact = f.total.lost === 0 && f.total.duplicated === 0;
  const lines = [
    `Fleet benchmark: \`${input.command}\` (${input.date})`,
    '',
    `Node ${input.nodeVersion}; ${input.servers} serve process(es) on one standalone dynalite (in memory); ` +
      `${input.clients} clients from ${input.workers.length} client worker process(es); ${input.events} item(s) at 1/s ` +
      `through serve 1's POST /api/v2/items; POLL_INTERVAL_MS=${input.pollIntervalMs} (the other servers learn an ` +
      `item by polling the store, so their latency includes up to one poll interval); open-files limit ` +
      `${input.openFilesLimit ?? 'unknown'} per process`,
    '',
    row([
      'server',
      'clients',
      'connect all (s)',
      'CPU µs/connect, servers / clients',
      'KiB/conn',
      '÷ Nchan 10.0 KiB',
      'idle CPU %',
      'fan-out median / max (ms)',
      'latency p50 / p99 (ms)',
      'lost',
      'duplicated',
      'dropped',
    ]),
    row(Array.from({ length: 12 }, () => '---')),
    ...f.servers.map(groupRow),
    groupRow(f.total),
    '',
    row(['target', 'measured', 'result']),
    row(['---', '---', '---']),
    row(['all connected', `${f.total.connected} / ${input.clients}`, allConnected ? 'PASS' : 'FAIL']),
    row(['memory per connection ≤ Nchan (10.0 KiB)', `${num(f.total.kibPerConnection, 2)} KiB`, nchanVerdict(f.total)]),
    row([
      'one event to all, exactly once',
      `${f.total.received} receipts of ${f.total.expected}; lost ${f.total.lost}, duplicated ${f.total.duplicated}`,
      exact && f.total.expected > 0 ? 'PASS' : 'FAIL',
    ]),
    '',
    row([
      'process',
      'pid',
      'RSS before → connected (MiB)',
      'open files',
      'CPU % connect',
      'CPU % idle',
      'CPU % events',
    ]),
    row(Array.from({ length: 7 }, () => '---')),
    ...f.processes.map(processRow),
    '',
    ...input.workers.map(
      (w, i) => `- client worker ${i + 1}: ${w.clients} clients to serve ${w.server + 1}, from ${w.addresses}`,
    ),
    ...f.servers.flatMap(groupDetails),
    ...(f.publishErrors.length > 0 ? [`- publish errors: ${f.publishErrors.join('; ')}`] : []),
    `- event phase ${num(f.eventPhaseMs / 1000, 1)} s`,
    `- the whole machine (${input.cores} cores, other work included) was busy ${num(f.machineBusyPercent.connect, 0)} % ` +
      `of its CPU while connecting, ${num(f.machineBusyPercent.idle, 0)} % in the idle window and ` +
      `${num(f.machineBusyPercent.events, 0)} % in the event phase`,
    '',
    "KiB/conn: growth of the server's resident memory from before the connects to 3 s after the last, ÷ its " +
      "connections (the total: all servers' growth ÷ all connections). CPU %: of one core, from /proc. Fan-out: " +
      "last − first receive of an item, over the server's clients (the total: over all). Latency: receive − publish " +
      "request sent, on the machine's monotonic clock. The clients share the 2 cores with the servers and the store.",
  ];
  return `${lines.join('\n')}\n`;
}

export type { FleetReportInput };
export { formatFleetReport, NCHAN_KIB_PER_CONNECTION };
