/**
 * Every npm command that takes options, run exactly as a user runs it (`npm run <script> -- …`,
 * through package.json and the runner it names): `--help` prints the usage and exits 0; an unknown
 * option is refused with one line on stderr and exit code 2. All runs start at once, so the file
 * costs about one process start, not fourteen.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeSettings, ENV } from '../../../src/config.ts';

const root = resolve(import.meta.dirname, '../../..');
const packageScripts = (
  JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts;
const commandsDoc = readFileSync(resolve(root, 'docs/commands.md'), 'utf8');

/** Each npm script that is ours (not a third-party tool), as the user types it. */
const COMMANDS = [
  ['start', 'npm start'],
  ['serve', 'npm run serve'],
  ['mock', 'npm run mock'],
  ['bench', 'npm run bench'],
  ['bench:fleet', 'npm run bench:fleet'],
  ['bench:rest', 'npm run bench:rest'],
  ['docs', 'npm run docs'],
  ['build', 'npm run build'],
  ['build:client', 'npm run build:client'],
  ['generate', 'npm run generate'],
  ['lint:docker', 'npm run lint:docker'],
  ['screenshots', 'npm run screenshots'],
  ['example', 'npm run example'],
] as const;

/** Bounds a run whose command ignored the arguments and started working (a server, a build). */
const RUN_BOUND_MS = 25_000;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `npm run --silent <script> -- <args>` (--silent: npm adds no banner of its own). Its own process
 * group, so that the bound stops npm, the shell and the command together.
 */
function npmRun(script: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  const child = spawn('npm', ['run', '--silent', script, '--', ...args], {
    cwd: root,
    // PORT=0 and SIMULATE=0: a command that wrongly starts must not take a fixed port or post items.
    env: { ...process.env, PORT: '0', SIMULATE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const bound = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, RUN_BOUND_MS);
  return new Promise((done) => {
    child.once('close', (code) => {
      clearTimeout(bound);
      done({ code, stdout, stderr });
    });
  });
}

const help = new Map<string, Promise<Run>>();
const unknown = new Map<string, Promise<Run>>();
let helpDespiteBadEnvironment: Promise<Run>;
let serveHelpDespiteBadEnvironment: Promise<Run>;

beforeAll(() => {
  for (const [script] of COMMANDS) {
    help.set(script, npmRun(script, ['--help']));
    unknown.set(script, npmRun(script, ['--no-such-option']));
  }
  helpDespiteBadEnvironment = npmRun('start', ['-h'], { PORT: 'abc' });
  serveHelpDespiteBadEnvironment = npmRun('serve', ['-h'], { PORT: 'abc', INGEST_API_KEY: '' });
});

/** The text under `name` in the usage's Environment list, whitespace collapsed. */
function entryOf(usage: string, name: string): string {
  const lines = usage.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${name} `));
  if (start < 0) return '';
  const end = lines.findIndex((line, index) => index > start && !line.startsWith('    '));
  return lines
    .slice(start, end < 0 ? undefined : end)
    .join(' ')
    .replace(/\s+/g, ' ');
}

/** The section of docs/commands.md for `command`. */
function docSection(command: string): string {
  const start = commandsDoc.indexOf(`## \`${command}\``);
  const end = commandsDoc.indexOf('\n## ', start + 1);
  return start < 0 ? '' : commandsDoc.slice(start, end < 0 ? undefined : end);
}

it('covers every npm script that runs our own code', () => {
  const ours = Object.entries(packageScripts)
    .filter(([, line]) => /^(?:[A-Z_]+=\S+ )*(?:exec )?(?:node|tsx)(?: --\S+)* (?:src|scripts|examples)\//.test(line))
    .map(([name]) => name)
    .sort();
  expect(ours).toEqual(COMMANDS.map(([script]) => script).sort());
});

describe.each(COMMANDS)('%s', (script, command) => {
  it('prints its usage on --help and exits 0, having done nothing else', async () => {
    const run = await (help.get(script) as Promise<Run>);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: ${command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}( |\\n)`));
    expect(run.stdout).toContain('-h, --help');
  });

  it('refuses an unknown option with one line on stderr and exit code 2', async () => {
    const run = await (unknown.get(script) as Promise<Run>);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`${command}: unknown option "--no-such-option" (see ${command} -- --help)\n`);
  });

  it('has a section in docs/commands.md naming each of its options', async () => {
    const { stdout } = await (help.get(script) as Promise<Run>);
    const options = [...stdout.matchAll(/^ {2}(--[a-z][a-z-]*)/gm)].map((match) => match[1] ?? '');
    const section = docSection(command);
    expect(section).not.toBe('');
    for (const option of options) expect(section, option).toContain(`\`${option} `);
  });
});

describe.each([
  ['npm start', 'start'],
  ['npm run serve', 'serve'],
])('%s -- --help', (_command, script) => {
  it('lists every variable of the configuration with its default and accepted values', async () => {
    const { stdout } = await (help.get(script) as Promise<Run>);
    for (const name of Object.values(ENV)) expect(entryOf(stdout, name), name).not.toBe('');
    for (const setting of describeSettings()) {
      const entry = entryOf(stdout, setting.name);
      expect(entry, setting.name).toContain(`default: ${setting.default}`);
      expect(entry, setting.name).toContain(`accepts: ${setting.accepts}`);
    }
  });

  it('says that CREATE_TABLE is for npm run serve only, and is off by default', async () => {
    const { stdout } = await (help.get(script) as Promise<Run>);
    expect(entryOf(stdout, ENV.CREATE_TABLE)).toMatch(/^ CREATE_TABLE npm run serve only: .* default: false accepts: /);
  });
});

describe('npm run serve -- --help', () => {
  it('works even when the environment lacks what serve requires or holds a bad value', async () => {
    const run = await serveHelpDespiteBadEnvironment;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run serve\n/);
  });
});

describe('npm start -- --help', () => {
  it('works even when the environment holds a bad value (the usage is how to fix it)', async () => {
    const run = await helpDespiteBadEnvironment;
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm start\n/);
  });

  it('matches docs/commands.md, which lists every variable with the same default and accepted values', () => {
    const section = docSection('npm start');
    for (const setting of describeSettings()) {
      const bullet = section.split('\n- ').find((item) => item.startsWith(`\`${setting.name}\`:`)) ?? '';
      const flat = bullet.replace(/\s+/g, ' ');
      expect(flat, setting.name).toContain(`Default: ${setting.default}.`);
      expect(flat, setting.name).toContain(`Accepts: ${setting.accepts}.`);
    }
  });
});
