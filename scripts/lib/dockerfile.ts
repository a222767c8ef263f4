/**
 * A small Dockerfile reader: instructions by stage, and what the final stage makes of them (the
 * image's command, environment, working directory, user, health check, ports). The lint
 * (scripts/lint-dockerfile.ts), the test that runs the image's command as a process, and the
 * Fargate stack (its container health check is the image's HEALTHCHECK) all read the Dockerfile
 * through it, so none of them keeps a copy of what the Dockerfile says.
 *
 * It reads the subset this repository uses: the default escape character, line continuations,
 * comments, `--flag=value` options, exec (JSON) and shell forms, `ENV key=value ...`. ARG
 * substitution is not performed.
 */

/** One instruction, continuation lines joined. */
interface Instruction {
  /** Upper-case keyword: FROM, RUN, COPY, … */
  readonly keyword: string;
  /** 1-based line of the keyword. */
  readonly line: number;
  /** Leading `--name=value` options (COPY --from, HEALTHCHECK --interval, …). */
  readonly flags: Readonly<Record<string, string>>;
  /** The text after the keyword and its flags. */
  readonly args: string;
  /** The arguments in exec form (a JSON array of strings), or undefined in shell form. */
  readonly exec: readonly string[] | undefined;
}

/** A build stage: its FROM and the instructions up to the next FROM. */
interface Stage {
  /** The `AS` name, if any. */
  readonly name: string | undefined;
  /** The base image reference, or an earlier stage's name. */
  readonly image: string;
  readonly line: number;
  readonly instructions: readonly Instruction[];
}

/** A HEALTHCHECK's command and options, in seconds. */
interface HealthCheckSpec {
  readonly command: readonly string[];
  readonly shellForm: boolean;
  readonly intervalS: number;
  readonly timeoutS: number;
  readonly startPeriodS: number;
  readonly retries: number;
}

/** What a container of the final stage runs, as a runtime would start it. */
interface ImageSpec {
  readonly baseImage: string;
  /** The ENV of the final stage, in order (later values win). */
  readonly env: Readonly<Record<string, string>>;
  readonly workdir: string;
  /** The last USER, or undefined (root). */
  readonly user: string | undefined;
  /** ENTRYPOINT then CMD, both in exec form; undefined if either is in shell form or CMD is missing. */
  readonly command: readonly string[] | undefined;
  readonly healthCheck: HealthCheckSpec | undefined;
  readonly exposedPorts: readonly number[];
  readonly stopSignal: string | undefined;
}

const FLAG = /^--([a-z-]+)=(\S*)\s*/;

/** The instructions of `content`, continuation lines joined, comments and blank lines dropped. */
function readInstructions(content: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending: { line: number; text: string } | undefined;
  const lines = content.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comments are whole lines only, also between continuation lines (as Docker reads them).
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continues = /\\\s*$/.test(raw);
    const piece = continues ? raw.replace(/\\\s*$/, '') : raw;
    pending =
      pending === undefined
        ? { line: index + 1, text: piece.trim() }
        : { ...pending, text: `${pending.text} ${piece.trim()}` };
    if (!continues) {
      instructions.push(toInstruction(pending.line, pending.text));
      pending = undefined;
    }
  });
  if (pending !== undefined) instructions.push(toInstruction(pending.line, pending.text));
  return instructions;
}

function toInstruction(line: number, text: string): Instruction {
  const keyword = (/^\S+/.exec(text)?.[0] ?? '').toUpperCase();
  let rest = text.slice(keyword.length).trim();
  const flags: Record<string, string> = {};
  for (let match = FLAG.exec(rest); match !== null; match = FLAG.exec(rest)) {
    flags[match[1] ?? ''] = match[2] ?? '';
    rest = rest.slice(match[0].length);
  }
  return { keyword, line, flags, args: rest, exec: execForm(rest) };
}

/** `["a", "b"]` as its strings, or undefined for shell form. */
function execForm(text: string): string[] | undefined {
  if (!text.startsWith('[')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The stages of `content`; instructions before the first FROM (ARG) are dropped. */
function parseDockerfile(content: string): Stage[] {
  const stages: { name: string | undefined; image: string; line: number; instructions: Instruction[] }[] = [];
  for (const instruction of readInstructions(content)) {
    if (instruction.keyword === 'FROM') {
      const [image = '', as, name] = instruction.args.split(/\s+/);
      stages.push({
        image,
        name: as?.toUpperCase() === 'AS' ? name : undefined,
        line: instruction.line,
        instructions: [],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** `ENV a=1 b="two words"` as pairs; undefined for the legacy `ENV key value` form. */
function envPairs(args: string): [string, string][] | undefined {
  const pairs: [string, string][] = [];
  const pair = /^([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)\s*/;
  let rest = args.trim();
  while (rest !== '') {
    const match = pair.exec(rest);
    if (match === null) return undefined;
    const raw = match[2] ?? '';
    const value = raw.startsWith('"')
      ? raw.slice(1, -1).replace(/\\(.)/g, '$1')
      : raw.startsWith("'")
        ? raw.slice(1, -1)
        : raw;
    pairs.push([match[1] ?? '', value]);
    rest = rest.slice(match[0].length);
  }
  return pairs;
}

/** `30s`, `1m30s`, `500ms` in seconds (Docker's duration syntax). */
function durationSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== text) {
    throw new Error(`not a duration: ${JSON.stringify(text)}`);
  }
  return parts.reduce((sum, part) => sum + Number(part[1]) * (units[part[2] ?? 's'] ?? 1), 0);
}

/** The HEALTHCHECK of a stage, or undefined if it has none or `HEALTHCHECK NONE`. */
function healthCheckOf(stage: Stage): HealthCheckSpec | undefined {
  const instruction = stage.instructions.findLast((candidate) => candidate.keyword === 'HEALTHCHECK');
  if (instruction === undefined || !/^CMD\s/i.test(instruction.args)) return undefined;
  const commandText = instruction.args.replace(/^CMD\s+/i, '');
  const exec = execForm(commandText);
  // Docker's defaults: 30 s interval and timeout, no start period, 3 retries.
  return {
    command: exec ?? ['/bin/sh', '-c', commandText],
    shellForm: exec === undefined,
    intervalS: durationSeconds(instruction.flags.interval, 30),
    timeoutS: durationSeconds(instruction.flags.timeout, 30),
    startPeriodS: durationSeconds(instruction.flags['start-period'], 0),
    retries: Number(instruction.flags.retries ?? 3),
  };
}

/** What the final stage of `content` runs (see {@link ImageSpec}). */
function imageSpec(content: string): ImageSpec {
  const stage = parseDockerfile(content).at(-1);
  if (stage === undefined) throw new Error('the Dockerfile has no FROM');
  const last = (keyword: string) => stage.instructions.findLast((instruction) => instruction.keyword === keyword);
  const env: Record<string, string> = {};
  let workdir = '/';
  const exposedPorts: number[] = [];
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'ENV') Object.assign(env, Object.fromEntries(envPairs(instruction.args) ?? []));
    if (instruction.keyword === 'WORKDIR') {
      workdir = instruction.args.startsWith('/')
        ? instruction.args
        : `${workdir.replace(/\/$/, '')}/${instruction.args}`;
    }
    if (instruction.keyword === 'EXPOSE') {
      exposedPorts.push(...instruction.args.split(/\s+/).map((port) => Number.parseInt(port, 10)));
    }
  }
  const cmd = last('CMD');
  const entrypoint = last('ENTRYPOINT');
  const command =
    cmd?.exec === undefined || (entrypoint !== undefined && entrypoint.exec === undefined)
      ? undefined
      : [...(entrypoint?.exec ?? []), ...cmd.exec];
  return {
    baseImage: stage.image,
    env,
    workdir,
    user: last('USER')?.args,
    command,
    healthCheck: healthCheckOf(stage),
    exposedPorts,
    stopSignal: last('STOPSIGNAL')?.args,
  };
}

export type { HealthCheckSpec, ImageSpec, Instruction, Stage };
export { envPairs, imageSpec, parseDockerfile };
