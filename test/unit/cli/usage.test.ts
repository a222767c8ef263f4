/**
 * The command-line handling every npm command shares (src/cli/usage.ts): --help wins, anything
 * unknown is refused in one line, each value comes from its flag, its variable or its default and
 * passes its rule, and the usage shows exactly those defaults and rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decimal,
  defineCommand,
  formatUsage,
  integer,
  interpret,
  oneOf,
  text,
  type Interpretation,
} from '../../../src/cli/usage.ts';

const COMMAND = defineCommand({
  command: 'npm run thing',
  summary: 'Does a thing, for tests.',
  options: {
    port: { value: '<port>', description: 'Port.', rule: integer(1, 65_535), default: '4010', env: 'THING_PORT' },
    rate: { value: '<per-s>', description: 'Rate.', rule: decimal(0.1, 100), default: '1' },
    only: { value: '<side>', description: 'One side.', rule: oneOf(['left', 'right']) },
    out: { value: '<dir>', description: 'Where.', rule: text('a directory path') },
    verbose: { flag: true, description: 'Say more.' },
  },
  environment: [{ name: 'THING_MODE', summary: 'Mode.', default: 'calm', accepts: 'calm or loud' }],
  notes: ['A note at the end.'],
});

const run = (
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Interpretation<typeof COMMAND.options> => interpret(COMMAND, args, env);

/** The refusal line, failing the test when the command line was not refused. */
function refusal(args: readonly string[], env: Record<string, string | undefined> = {}): string {
  const result = run(args, env);
  if (result.kind !== 'refuse') throw new Error(`expected a refusal, got ${result.kind}`);
  return result.line;
}

const LINE_BREAKS = /[\n\r\u0085\u2028\u2029]/;

describe('--help', () => {
  it.each([
    [['--help']],
    [['-h']],
    [['--port', '1', '--help']],
    [['--nope', '--help']],
    [['--help', 'extra']],
    [['-xh']],
  ])('%j prints the usage, whatever else is there', (args) => {
    const result = run(args, { THING_PORT: 'not a port' });
    expect(result).toEqual({ kind: 'help', text: formatUsage(COMMAND) });
  });

  it('after --, is an argument, not a request for help', () => {
    expect(refusal(['--', '--help'])).toBe(
      'npm run thing: unexpected argument "--help": this command takes options only (see npm run thing -- --help)',
    );
  });
});

describe('refusals: one line naming the problem and where help is', () => {
  it.each([
    [['--nope'], 'unknown option "--nope"'],
    [['--nope=1'], 'unknown option "--nope"'],
    [['-x'], 'unknown option "-x"'],
    [['--Port', '1'], 'unknown option "--Port"'],
    // Names every object has: an option table is a plain object, so a lookup must not find these.
    [['--constructor=1'], 'unknown option "--constructor"'],
    [['--toString'], 'unknown option "--toString"'],
    [['--__proto__=x'], 'unknown option "--__proto__"'],
    [['--hasOwnProperty', 'x'], 'unknown option "--hasOwnProperty"'],
    [['extra'], 'unexpected argument "extra": this command takes options only'],
    [['--port'], '--port needs a value (<port>)'],
    [['--verbose=yes'], '--verbose takes no value'],
    [['--port', 'abc'], '--port="abc" is not valid: expected an integer from 1 to 65535'],
    [['--port='], '--port="" is not valid: expected an integer from 1 to 65535'],
    [['--only', 'both'], '--only="both" is not valid: expected one of left, right'],
    [['--out='], '--out="" is not valid: expected a directory path'],
  ])('%j', (args, problem) => {
    expect(refusal(args)).toBe(`npm run thing: ${problem} (see npm run thing -- --help)`);
  });

  it('names the variable when the variable is bad', () => {
    expect(refusal([], { THING_PORT: '99999' })).toBe(
      'npm run thing: THING_PORT="99999" is not valid: expected an integer from 1 to 65535 (see npm run thing -- --help)',
    );
  });

  it('reports the first problem in order', () => {
    expect(refusal(['--nope', 'extra'])).toContain('unknown option "--nope"');
    expect(refusal(['extra', '--nope'])).toContain('unexpected argument "extra"');
  });

  it('escapes what could break the line or forge another, and cuts long values', () => {
    const line = refusal(['--port', `1\nnpm run thing: all good\u2028\u202e${'9'.repeat(100)}`]);
    expect(line).not.toMatch(LINE_BREAKS);
    expect(line).toContain('\\n');
    expect(line).toContain('\\u2028\\u202e');
    expect(line).toContain('…"');
    expect(refusal([`--\u2029x`])).toBe('npm run thing: unknown option "--\\u2029x" (see npm run thing -- --help)');
  });

  it('refuses every spelling of an integer but plain decimal digits', () => {
    for (const spelling of ['010', '1e3', '0x10', ' 12', '12 ', '+1', '-0', '1.0', '１２', 'Infinity']) {
      expect(run(['--port', spelling]).kind, spelling).toBe('refuse');
    }
  });

  it('refuses every spelling of a number but digits with an optional point', () => {
    for (const spelling of ['.5', '5.', '1e1', '0x1', '-1', ' 1', 'NaN', '0.05', '101']) {
      expect(run(['--rate', spelling]).kind, spelling).toBe('refuse');
    }
    expect(run(['--rate', '0.5'])).toMatchObject({ kind: 'run', values: { rate: 0.5 } });
  });

  it('never throws, and a refusal is always one line (any arguments)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom('--port', '--verbose', '--', '-h', '--out=')), { maxLength: 8 }),
        fc.string(),
        (args, port) => {
          const result = run(args, { THING_PORT: port });
          if (result.kind === 'refuse') {
            expect(result.line).not.toMatch(LINE_BREAKS);
            expect(result.line).toMatch(/^npm run thing: .+ \(see npm run thing -- --help\)$/);
          }
          if (args.includes('--help') || args.includes('-h')) expect(result.kind).not.toBe('run');
        },
      ),
    );
  });
});

describe('values', () => {
  it('come from the defaults when nothing is given; blank variables count as unset', () => {
    const expected = { kind: 'run', values: { port: 4010, rate: 1, verbose: false } };
    expect(run([])).toEqual(expected);
    expect(run([], { THING_PORT: '  ' })).toEqual(expected);
  });

  it('come from the variable when the option is not given, and the option wins over it', () => {
    expect(run([], { THING_PORT: ' 5000 ' })).toMatchObject({ values: { port: 5000 } });
    expect(run(['--port=6000'], { THING_PORT: '5000' })).toMatchObject({ values: { port: 6000 } });
    // A good option also wins over a bad variable: the variable is not read at all.
    expect(run(['--port', '6000'], { THING_PORT: 'bad' })).toMatchObject({ values: { port: 6000 } });
  });

  it('take the last of a repeated option, and read flags and words', () => {
    expect(run(['--port', '1', '--port', '2', '--verbose', '--only=left', '--out', 'a b'])).toEqual({
      kind: 'run',
      values: { port: 2, rate: 1, verbose: true, only: 'left', out: 'a b' },
    });
  });

  it('throw on a default the rule refuses: the command is wrong, not the user', () => {
    const broken = defineCommand({
      command: 'npm run broken',
      summary: '',
      options: { n: { value: '<n>', description: '', rule: integer(1, 2), default: '3' } },
    });
    expect(() => interpret(broken, [], {})).toThrow('--n: default "3" is not an integer from 1 to 2');
  });
});

describe('formatUsage', () => {
  const usage = formatUsage(COMMAND);
  const flat = usage.replace(/\s+/g, ' ');

  it('shows the command, what it does, every option with its default, variable and rule, and the notes', () => {
    expect(usage.startsWith('Usage: npm run thing -- [options]\n\nDoes a thing, for tests.\n\nOptions:\n')).toBe(true);
    expect(flat).toContain(
      '--port <port> Port. default: 4010; environment: THING_PORT; accepts: an integer from 1 to 65535',
    );
    expect(flat).toContain('--rate <per-s> Rate. default: 1; accepts: a number from 0.1 to 100');
    expect(flat).toContain('--only <side> One side. accepts: one of left, right');
    expect(flat).toContain('--verbose Say more.');
    expect(flat).toContain('-h, --help print this help and exit');
    expect(flat).toContain('THING_PORT Port. --port wins over it. default: 4010 accepts: an integer from 1 to 65535');
    expect(flat).toContain('THING_MODE Mode. default: calm accepts: calm or loud');
    expect(usage.endsWith('\n\nA note at the end.\n')).toBe(true);
  });

  it('keeps lines within 100 columns', () => {
    expect(usage.split('\n').filter((line) => line.length > 100)).toEqual([]);
  });

  it('of a command without options shows just --help', () => {
    const bare = formatUsage(defineCommand({ command: 'npm run bare', summary: 'Bare.', options: {} }));
    expect(bare).toBe('Usage: npm run bare\n\nBare.\n\nOptions:\n  -h, --help  print this help and exit\n');
  });
});
