/**
 * The command line of `npm start` and of the scripts behind the other npm commands: one parser
 * (node:util parseArgs), one usage format, one way to refuse.
 *
 * - `--help` / `-h` prints the usage to stdout and exits 0 before the command does anything, even
 *   next to other arguments: asking for help never starts a server or rewrites a folder.
 * - An unknown option, an argument, a missing or unexpected value, or a value its rule refuses
 *   prints one line to stderr and exits 2. A typo is never ignored, so it never runs the command
 *   with defaults the user did not mean.
 * - Each option's default, accepted values and environment variable live in its definition, which
 *   both the usage and the validation read, so the two cannot disagree.
 *
 * No Lambda code imports this module.
 */
import { parseArgs } from 'node:util';

/** How a value is checked: what it accepts, in words (the usage prints it), and the check. */
interface Rule<T> {
  readonly accepts: string;
  /** The value, or undefined when `text` is not acceptable. */
  readonly parse: (text: string) => T | undefined;
}

/** An option that takes a value: `--name <value>` or `--name=<value>`. */
interface ValueOption<T> {
  /** Placeholder in the usage, e.g. `<ms>`. */
  readonly value: string;
  readonly description: string;
  readonly rule: Rule<T>;
  /** Used when neither the option nor `env` is given; checked by `rule` like any value. */
  readonly default?: string;
  /** An environment variable read when the option is not given (the option wins). */
  readonly env?: string;
}

/** An option without a value: `--name`. */
interface FlagOption {
  readonly flag: true;
  readonly description: string;
}

type OptionSpec = ValueOption<unknown> | FlagOption;
type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** An environment variable the command reads, as the usage shows it. */
interface EnvironmentEntry {
  readonly name: string;
  readonly summary: string;
  readonly default: string;
  readonly accepts: string;
}

interface CommandSpec<O extends OptionSpecs> {
  /** As the user types it, e.g. `npm run mock`. */
  readonly command: string;
  /** What it does, one paragraph. */
  readonly summary: string;
  readonly options: O;
  /** Environment variables the command reads besides those of its options. */
  readonly environment?: readonly EnvironmentEntry[];
  /** One sentence before the environment list, e.g. what happens to a bad value. */
  readonly environmentNote?: string;
  /** Paragraphs after everything else. */
  readonly notes?: readonly string[];
}

type OptionValue<S> =
  S extends ValueOption<infer T> ? (S extends { readonly default: string } ? T : T | undefined) : boolean;

/** The options' values: flags are booleans, the others their rule's type (undefined if not given and no default). */
type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]: OptionValue<O[K]> };

/** What a command line asks for. */
type Interpretation<O extends OptionSpecs> =
  | { readonly kind: 'run'; readonly values: OptionValues<O> }
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'refuse'; readonly line: string };

const HELP = 'help';
const WIDTH = 100;
const MAX_ECHO_CHARACTERS = 60;

// Quoted as JSON so the end of the value shows, and with every invisible or line-breaking
// character escaped, so a value cannot break the one-line refusal or forge lines after it.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;
function quote(text: string): string {
  const characters = Array.from(text);
  const shown =
    characters.length > MAX_ECHO_CHARACTERS ? `${characters.slice(0, MAX_ECHO_CHARACTERS).join('')}…` : text;
  return JSON.stringify(shown).replace(INVISIBLE, (character) =>
    Array.from(character, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''),
  );
}

// Plain decimal digits only, as the configuration spells integers (src/config.ts): Number() alone
// would also take '', ' 1 ', 1e3, 0x10 and -0.
const INTEGER = /^(?:0|[1-9][0-9]*)$/;
const DECIMAL = /^(?:0|[1-9][0-9]*)(?:\.[0-9]+)?$/;

/** An integer from `min` to `max`, in plain decimal digits. */
function integer(min: number, max: number): Rule<number> {
  return {
    accepts: `an integer from ${min} to ${max}`,
    parse: (text) => {
      const value = Number(text);
      return INTEGER.test(text) && value >= min && value <= max ? value : undefined;
    },
  };
}

/** A number from `min` to `max`, digits with an optional decimal point. */
function decimal(min: number, max: number): Rule<number> {
  return {
    accepts: `a number from ${min} to ${max}`,
    parse: (text) => {
      const value = Number(text);
      return DECIMAL.test(text) && value >= min && value <= max ? value : undefined;
    },
  };
}

/** One of `words`, exactly. */
function oneOf<const W extends string>(words: readonly W[]): Rule<W> {
  return {
    accepts: `one of ${words.join(', ')}`,
    parse: (text) => words.find((word) => word === text),
  };
}

/** Any non-empty text without NUL (paths: no file system takes NUL). */
function text(accepts: string): Rule<string> {
  return { accepts, parse: (value) => (value === '' || value.includes('\0') ? undefined : value) };
}

const isFlag = (spec: OptionSpec): spec is FlagOption => 'flag' in spec;

// Strict parsing throws on the first problem with messages written for programmers ("To specify a
// positional argument starting with a '-', place it at the end…"); the tokens let each problem be
// said in one plain line instead.
function tokensOf(options: OptionSpecs, args: readonly string[]) {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    [HELP]: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(options)) config[name] = { type: isFlag(spec) ? 'boolean' : 'string' };
  return parseArgs({ args: [...args], options: config, strict: false, allowPositionals: true, tokens: true }).tokens;
}

/** The first problem of the command line, in order, or undefined. */
function firstProblem(options: OptionSpecs, tokens: ReturnType<typeof tokensOf>): string | undefined {
  for (const token of tokens) {
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional')
      return `unexpected argument ${quote(token.value)}: this command takes options only`;
    if (token.name === HELP) continue;
    // Own properties only: `--constructor` or `--toString` must not find what every object has.
    const spec = Object.hasOwn(options, token.name) ? options[token.name] : undefined;
    if (spec === undefined) return `unknown option ${quote(token.rawName)}`;
    if (isFlag(spec) && token.value !== undefined) return `${token.rawName} takes no value`;
    if (!isFlag(spec) && token.value === undefined) return `${token.rawName} needs a value (${spec.value})`;
  }
  return undefined;
}

/** The value of each option: the last time it is given, else its variable, else its default. */
function valuesOf<O extends OptionSpecs>(
  options: O,
  tokens: ReturnType<typeof tokensOf>,
  env: Readonly<Record<string, string | undefined>>,
): { values: OptionValues<O> } | { problem: string } {
  const given = new Map<string, string | boolean>();
  for (const token of tokens) {
    if (token.kind === 'option' && token.name !== HELP) given.set(token.name, token.value ?? true);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(options)) {
    if (isFlag(spec)) {
      values[name] = given.has(name);
      continue;
    }
    const flagText = given.get(name);
    // As in the configuration, a blank variable counts as unset.
    const envText = spec.env === undefined ? '' : (env[spec.env]?.trim() ?? '');
    const [source, raw] =
      typeof flagText === 'string'
        ? [`--${name}`, flagText]
        : envText !== '' && spec.env !== undefined
          ? [spec.env, envText]
          : ['', spec.default];
    if (raw === undefined) continue;
    const value = spec.rule.parse(raw);
    if (value === undefined) {
      // A default the rule refuses is this file's bug, not the user's: fail loudly.
      if (source === '') throw new Error(`--${name}: default ${quote(raw)} is not ${spec.rule.accepts}`);
      return { problem: `${source}=${quote(raw)} is not valid: expected ${spec.rule.accepts}` };
    }
    values[name] = value;
  }
  return { values: values as OptionValues<O> };
}

/** Keeps the literal types of a command's options, so `readCommandLine` types each value. */
function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/**
 * What `args` asks of the command: its option values, its usage, or a one-line refusal. Pure:
 * reads `env` only for options that name a variable, writes nothing, never exits.
 */
function interpret<const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Interpretation<O> {
  const tokens = tokensOf(spec.options, args);
  if (tokens.some((token) => token.kind === 'option' && token.name === HELP)) {
    return { kind: 'help', text: formatUsage(spec) };
  }
  const problem = firstProblem(spec.options, tokens);
  if (problem !== undefined) return { kind: 'refuse', line: refusal(spec, problem) };
  const read = valuesOf(spec.options, tokens, env);
  return 'problem' in read
    ? { kind: 'refuse', line: refusal(spec, read.problem) }
    : { kind: 'run', values: read.values };
}

/** The one line a refused command line prints: the command, the problem, where help is. */
function refusal(spec: CommandSpec<OptionSpecs>, problem: string): string {
  return `${spec.command}: ${problem} (see ${spec.command} -- --help)`;
}

/**
 * Reads the process's command line: prints the usage and exits 0 on --help, prints one line and
 * exits 2 on a bad command line, and otherwise returns the option values.
 */
function readCommandLine<const O extends OptionSpecs>(
  spec: CommandSpec<O>,
  args: readonly string[] = process.argv.slice(2),
  env: Readonly<Record<string, string | undefined>> = process.env,
): OptionValues<O> {
  const result = interpret(spec, args, env);
  if (result.kind === 'run') return result.values;
  if (result.kind === 'help') {
    // Writes to pipes and files are synchronous on Linux and macOS, so exiting loses nothing.
    process.stdout.write(result.text);
    process.exit(0);
  }
  process.stderr.write(`${result.line}\n`);
  process.exit(2);
}

/** For checks across options (e.g. two ports that must differ): one line, exit 2. */
function refuse(spec: CommandSpec<OptionSpecs>, problem: string): never {
  process.stderr.write(`${refusal(spec, problem)}\n`);
  process.exit(2);
}

/** `text` broken into lines of at most `width` characters at spaces (a longer word keeps its line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((part) => part !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Two columns: each term, then its text wrapped beside it; continuation lines indented under the text. */
function table(rows: readonly { term: string; lines: readonly string[] }[]): string[] {
  const column = Math.min(32, Math.max(...rows.map((row) => row.term.length)) + 4);
  const out: string[] = [];
  for (const row of rows) {
    const body = row.lines.flatMap((paragraph) => wrap(paragraph, WIDTH - column));
    const first = `  ${row.term}`;
    const [head = '', ...rest] = body;
    if (first.length + 2 > column) out.push(first, ...body.map((line) => `${' '.repeat(column)}${line}`));
    else out.push(`${first.padEnd(column)}${head}`, ...rest.map((line) => `${' '.repeat(column)}${line}`));
  }
  return out;
}

/** The environment entries of the options that read a variable, then the command's own. */
function environmentOf(spec: CommandSpec<OptionSpecs>): EnvironmentEntry[] {
  const fromOptions = Object.entries(spec.options).flatMap(([name, option]) =>
    isFlag(option) || option.env === undefined
      ? []
      : [
          {
            name: option.env,
            summary: `${option.description} --${name} wins over it.`,
            default: option.default ?? 'none',
            accepts: option.rule.accepts,
          },
        ],
  );
  return [...fromOptions, ...(spec.environment ?? [])];
}

/** The usage text `--help` prints. */
function formatUsage(spec: CommandSpec<OptionSpecs>): string {
  const options = Object.entries(spec.options);
  const optionRows = options.map(([name, option]) => {
    if (isFlag(option)) return { term: `--${name}`, lines: [option.description] };
    const facts = [
      option.default === undefined ? undefined : `default: ${option.default}`,
      option.env === undefined ? undefined : `environment: ${option.env}`,
      `accepts: ${option.rule.accepts}`,
    ].filter((fact) => fact !== undefined);
    return { term: `--${name} ${option.value}`, lines: [option.description, facts.join('; ')] };
  });
  optionRows.push({ term: '-h, --help', lines: ['print this help and exit'] });
  const environment = environmentOf(spec);
  const sections = [
    [`Usage: ${spec.command}${options.length > 0 ? ' -- [options]' : ''}`],
    wrap(spec.summary, WIDTH),
    ['Options:', ...table(optionRows)],
  ];
  if (environment.length > 0) {
    const rows = environment.map((entry) => ({
      term: entry.name,
      lines: [entry.summary, `default: ${entry.default}`, `accepts: ${entry.accepts}`],
    }));
    sections.push([
      ...wrap(`Environment${spec.environmentNote === undefined ? ':' : ` (${spec.environmentNote}):`}`, WIDTH),
      ...table(rows),
    ]);
  }
  for (const note of spec.notes ?? []) sections.push(wrap(note, WIDTH));
  return `${sections.map((lines) => lines.join('\n')).join('\n\n')}\n`;
}

export type { CommandSpec, EnvironmentEntry, Interpretation, OptionValues, Rule };
export { decimal, defineCommand, formatUsage, integer, interpret, oneOf, readCommandLine, refuse, text };
