/**
 * `npm run lint:docker`: checks the Dockerfile (and .dockerignore) at the repository root, one
 * line per problem, exit 1 if there is any. No container runtime is needed: dockerfile-utils
 * checks the syntax, and our own rules check what matters for this image:
 *
 * - every base image is `node` pinned to a full Node 24 release (`node:24.x.y-<debian>-slim`),
 *   never `latest`, and at least the `engines` version of package.json;
 * - the final stage runs as a USER other than root, with CMD (and any ENTRYPOINT) in exec form so
 *   that node is PID 1 and receives SIGTERM; a HEALTHCHECK; STOPSIGNAL, if set, is SIGTERM; the
 *   EXPOSEd port is the PORT it sets;
 * - runtime dependencies come from `npm ci --omit=dev` in a stage the final stage copies
 *   node_modules from, and no `npm install` anywhere; no ADD of a URL; ENV in `key=value` form;
 * - the command's entry file exists, every file it loads is copied into the image at the same
 *   path and let through by .dockerignore, and every package it imports is a production
 *   dependency; .dockerignore keeps node_modules, .git, build output, tests and data out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { defineCommand, readCommandLine } from '../src/cli/usage.ts';
import { envPairs, imageSpec, parseDockerfile } from './lib/dockerfile.ts';
import { runtimeImports } from './lib/runtime-imports.ts';
import type { Stage } from './lib/dockerfile.ts';

/** One finding: where, which rule, what is wrong. */
interface Problem {
  readonly line: number;
  readonly rule: string;
  readonly message: string;
}

/** What the rules compare the Dockerfile with; each part is optional, and its rules skip without it. */
interface LintContext {
  /** The text of .dockerignore. */
  readonly dockerignore?: string;
  /** package.json `engines.node`, e.g. `>=24.18`. */
  readonly engines?: string;
  /** package.json `dependencies` names. */
  readonly dependencies?: readonly string[];
  /** Repository root: enables the checks of the files and packages the command loads. */
  readonly root?: string;
}

/** Paths the build context must never carry into an image. */
const MUST_IGNORE = ['node_modules', '.git', 'dist', 'docs-site', 'test', 'data', 'cdk.out', 'coverage', '.env'];

const BASE_IMAGE = /^node:24\.(\d+)\.(\d+)-[a-z]+-slim(?:@sha256:[0-9a-f]{64})?$/;
const ROOT_USER = /^(?:root|0)(?::.*)?$/;

/** Every problem of `dockerfile`, in line order. */
function lintDockerfile(dockerfile: string, context: LintContext = {}): Problem[] {
  const stages = parseDockerfile(dockerfile);
  const final = stages.at(-1);
  const problems = [...syntaxProblems(dockerfile), ...stages.flatMap((stage) => stageProblems(stage, stages, context))];
  if (final === undefined) return [{ line: 1, rule: 'syntax', message: 'no FROM instruction' }];
  problems.push(...finalStageProblems(dockerfile, final, stages));
  if (context.dockerignore !== undefined) problems.push(...dockerignoreProblems(final, context.dockerignore));
  if (context.root !== undefined) problems.push(...runtimeProblems(dockerfile, final, context));
  return problems.sort((a, b) => a.line - b.line);
}

/** dockerfile-utils' diagnostics, every check at error severity. */
function syntaxProblems(dockerfile: string): Problem[] {
  const strict = ValidationSeverity.ERROR;
  return validate(dockerfile, {
    deprecatedMaintainer: strict,
    directiveCasing: strict,
    emptyContinuationLine: strict,
    instructionCasing: strict,
    instructionCmdMultiple: strict,
    instructionEntrypointMultiple: strict,
    instructionHealthcheckMultiple: strict,
    instructionJSONInSingleQuotes: strict,
    instructionWorkdirRelative: strict,
  }).map((diagnostic) => ({
    line: diagnostic.range.start.line + 1,
    rule: 'syntax',
    message: typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value,
  }));
}

/** Base image, npm and ADD rules, which hold in every stage. */
function stageProblems(stage: Stage, stages: readonly Stage[], context: LintContext): Problem[] {
  const problems: Problem[] = [];
  const add = (line: number, rule: string, message: string) => problems.push({ line, rule, message });
  const isStageReference = stages.some((other) => other !== stage && other.name === stage.image);
  if (/:latest\b/.test(stage.image) || (!stage.image.includes(':') && !isStageReference)) {
    add(stage.line, 'no-latest', `${stage.image} is (or defaults to) the moving "latest" tag`);
  }
  const version = BASE_IMAGE.exec(stage.image);
  if (!isStageReference && version === null) {
    add(stage.line, 'base-image', `${stage.image} is not node pinned to a Node 24 release (node:24.x.y-<debian>-slim)`);
  }
  const minimum = /(\d+)\.(\d+)/.exec(context.engines ?? '');
  if (version !== null && minimum !== null && Number(minimum[1]) === 24 && Number(version[1]) < Number(minimum[2])) {
    add(stage.line, 'base-image', `${stage.image} is older than package.json engines (${context.engines ?? ''})`);
  }
  for (const instruction of stage.instructions) {
    if (instruction.keyword === 'RUN' && /\bnpm\s+(?:install|i|add)\b/.test(instruction.args)) {
      add(instruction.line, 'npm-ci', 'npm install: use npm ci, which installs exactly the lockfile');
    }
    if (instruction.keyword === 'ADD' && /(?:^|\s)(?:[a-z][a-z0-9+.-]*:\/\/|git@)/i.test(instruction.args)) {
      add(instruction.line, 'add-url', 'ADD of a URL: download in a RUN with a checksum, or COPY a file');
    }
    if (instruction.keyword === 'ENV' && envPairs(instruction.args) === undefined) {
      add(instruction.line, 'env-form', 'ENV in the legacy "key value" form: write key=value');
    }
  }
  return problems;
}

/** USER, CMD, HEALTHCHECK, STOPSIGNAL, EXPOSE and node_modules rules of the stage that runs. */
function finalStageProblems(dockerfile: string, final: Stage, stages: readonly Stage[]): Problem[] {
  const problems: Problem[] = [];
  const add = (line: number, rule: string, message: string) => problems.push({ line, rule, message });
  const spec = imageSpec(dockerfile);
  const find = (keyword: string) => final.instructions.findLast((instruction) => instruction.keyword === keyword);
  const cmd = find('CMD');
  const user = find('USER');
  const entrypoint = find('ENTRYPOINT');
  if (cmd === undefined) add(final.line, 'cmd-exec', 'the final stage has no CMD');
  else if (cmd.exec === undefined)
    add(cmd.line, 'cmd-exec', 'CMD in shell form: /bin/sh would be PID 1 and swallow SIGTERM');
  if (entrypoint !== undefined && entrypoint.exec === undefined) {
    add(entrypoint.line, 'cmd-exec', 'ENTRYPOINT in shell form: /bin/sh would be PID 1 and swallow SIGTERM');
  }
  if (user === undefined || ROOT_USER.test(user.args)) {
    add(user?.line ?? final.line, 'user', 'the final stage runs as root: set USER to an unprivileged user (node)');
  } else if (cmd !== undefined && user.line > cmd.line) {
    add(user.line, 'user', 'USER comes after CMD');
  }
  if (spec.healthCheck === undefined) add(final.line, 'healthcheck', 'the final stage has no HEALTHCHECK CMD');
  if (spec.stopSignal !== undefined && spec.stopSignal !== 'SIGTERM') {
    add(
      find('STOPSIGNAL')?.line ?? final.line,
      'stopsignal',
      `STOPSIGNAL ${spec.stopSignal}: the server drains on SIGTERM`,
    );
  }
  const port = Number(spec.env.PORT ?? 3000);
  if (!spec.exposedPorts.includes(port))
    add(find('EXPOSE')?.line ?? final.line, 'expose', `EXPOSE does not list PORT ${port}`);
  problems.push(...dependencyProblems(final, stages));
  return problems;
}

/** node_modules of the final stage must come from `npm ci --omit=dev`, and only from there. */
function dependencyProblems(final: Stage, stages: readonly Stage[]): Problem[] {
  const problems: Problem[] = [];
  const installs = (stage: Stage) =>
    stage.instructions.filter((i) => i.keyword === 'RUN' && /\bnpm\s+ci\b/.test(i.args));
  for (const install of installs(final)) {
    if (!/--omit[= ]dev\b/.test(install.args)) {
      problems.push({ line: install.line, rule: 'npm-ci', message: 'npm ci without --omit=dev in the final stage' });
    }
  }
  const copied = final.instructions.filter((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
  const fromOmitDev = copied.some((copy) => {
    const source = stages.find((stage) => stage.name === copy.flags.from);
    return source !== undefined && installs(source).some((install) => /--omit[= ]dev\b/.test(install.args));
  });
  for (const copy of copied) {
    const source = stages.find((stage) => stage.name === copy.flags.from);
    if (source === undefined || !installs(source).every((install) => /--omit[= ]dev\b/.test(install.args))) {
      problems.push({
        line: copy.line,
        rule: 'npm-ci',
        message: 'node_modules copied from a stage without npm ci --omit=dev',
      });
    }
  }
  if (!fromOmitDev && !installs(final).some((install) => /--omit[= ]dev\b/.test(install.args))) {
    problems.push({
      line: final.line,
      rule: 'npm-ci',
      message: 'runtime dependencies do not come from npm ci --omit=dev',
    });
  }
  return problems;
}

/** Whether .dockerignore keeps `path` (repository-relative) out of the build context. */
function isIgnored(dockerignore: string, path: string): boolean {
  const patterns = dockerignore
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const prefixes = path.split('/').map((_part, index, parts) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const glob = raw.replace(/^!/, '').replace(/^\/+|\/+$/g, '');
    const source = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*/g, '\0')
      .replace(/\*/g, '[^/]*');
    const pattern = new RegExp(`^${source.replace(/\0/g, '.*').replace(/\?/g, '[^/]')}$`);
    // A pattern that matches a directory matches everything in it.
    if (prefixes.some((prefix) => pattern.test(prefix))) ignored = !negated;
  }
  return ignored;
}

/** .dockerignore must keep out what never belongs in an image and let in what the stages COPY. */
function dockerignoreProblems(final: Stage, dockerignore: string): Problem[] {
  const problems: Problem[] = MUST_IGNORE.filter((path) => !isIgnored(dockerignore, path)).map((path) => ({
    line: 0,
    rule: 'dockerignore',
    message: `.dockerignore lets ${path} into the build context`,
  }));
  for (const copy of final.instructions.filter((i) => i.keyword === 'COPY' && i.flags.from === undefined)) {
    for (const source of copySources(copy.args)) {
      if (isIgnored(dockerignore, source)) {
        problems.push({
          line: copy.line,
          rule: 'dockerignore',
          message: `.dockerignore drops ${source}, which COPY needs`,
        });
      }
    }
  }
  return problems;
}

/** The sources of `COPY a b dest` (or its exec form). */
function copySources(args: string): string[] {
  const parts = (args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)).map((part) =>
    part.replace(/^\.\//, '').replace(/\/$/, ''),
  );
  return parts.slice(0, -1);
}

/**
 * The command's entry exists; every file it loads is copied (repository path = path under
 * WORKDIR); every package it imports is a production dependency.
 */
function runtimeProblems(dockerfile: string, final: Stage, context: LintContext): Problem[] {
  const root = context.root ?? '.';
  const spec = imageSpec(dockerfile);
  const cmdLine = final.instructions.findLast((i) => i.keyword === 'CMD')?.line ?? final.line;
  const entry = spec.command?.slice(1).find((arg) => !arg.startsWith('-') && /\.[cm]?[jt]s$/.test(arg));
  if (entry === undefined) return [{ line: cmdLine, rule: 'runtime', message: 'the command names no script file' }];
  if (!existsSync(resolve(root, entry))) {
    return [{ line: cmdLine, rule: 'runtime', message: `the command's entry ${entry} does not exist` }];
  }
  const copied = final.instructions
    .filter((i) => i.keyword === 'COPY' && i.flags.from === undefined)
    .flatMap((i) => copySources(i.args));
  const inImage = (file: string) => copied.some((source) => file === source || file.startsWith(`${source}/`));
  const loaded = runtimeImports(root, entry);
  const problems: Problem[] = loaded.unresolved.map((text) => ({
    line: cmdLine,
    rule: 'runtime',
    message: `unresolved import ${text}`,
  }));
  for (const file of ['package.json', ...loaded.files].filter((candidate) => !inImage(candidate))) {
    problems.push({
      line: cmdLine,
      rule: 'runtime',
      message: `${file} is loaded by ${entry} but not copied into the image`,
    });
  }
  if (context.dockerignore !== undefined) {
    for (const file of loaded.files.filter((candidate) => isIgnored(context.dockerignore ?? '', candidate))) {
      problems.push({ line: 0, rule: 'dockerignore', message: `.dockerignore drops ${file}, which ${entry} loads` });
    }
  }
  const production = new Set(context.dependencies ?? []);
  for (const name of loaded.packages.filter((candidate) => !production.has(candidate))) {
    problems.push({
      line: cmdLine,
      rule: 'runtime',
      message: `${entry} imports ${name}, which is not a production dependency`,
    });
  }
  return problems;
}

/** The context of the repository at `root`: .dockerignore, engines and dependencies. */
function repositoryContext(root: string): LintContext {
  const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    engines?: { node?: string };
    dependencies?: Record<string, string>;
  };
  const ignorePath = resolve(root, '.dockerignore');
  return {
    root,
    dockerignore: existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '',
    engines: manifest.engines?.node,
    dependencies: Object.keys(manifest.dependencies ?? {}),
  };
}

/** `Dockerfile:<line>: [rule] message` (line 0 is a .dockerignore finding). */
const formatProblem = (problem: Problem): string =>
  `${problem.line === 0 ? '.dockerignore' : `Dockerfile:${problem.line}`}: [${problem.rule}] ${problem.message}`;

function main(): void {
  readCommandLine(
    defineCommand({
      command: 'npm run lint:docker',
      summary:
        'Checks the Dockerfile and .dockerignore at the repository root without a container runtime: syntax ' +
        '(dockerfile-utils), a pinned Node 24 base, a non-root USER, CMD in exec form, a HEALTHCHECK, npm ci ' +
        '--omit=dev, no ADD of a URL, and that the image holds every file and production package its command ' +
        'loads. Prints one line per problem and exits 1 if there is any. Reads no environment variables.',
      options: {},
    }),
  );
  const root = resolve(import.meta.dirname, '..');
  const problems = lintDockerfile(readFileSync(resolve(root, 'Dockerfile'), 'utf8'), repositoryContext(root));
  for (const problem of problems) process.stderr.write(`${formatProblem(problem)}\n`);
  if (problems.length > 0) process.exit(1);
  process.stdout.write('Dockerfile and .dockerignore: no problem\n');
}

if (import.meta.main) main();

export type { LintContext, Problem };
export { formatProblem, isIgnored, lintDockerfile, repositoryContext };
