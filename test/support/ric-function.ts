/**
 * A Lambda function run as the managed runtime runs it: a Node process whose main module is
 * aws-lambda-ric's `index.mjs` (the runtime takes the process over and loops on GET /next),
 * with the environment Lambda gives it (_HANDLER, LAMBDA_TASK_ROOT, AWS_LAMBDA_RUNTIME_API, the
 * AWS_LAMBDA_* variables the context reads), against a Runtime API the test serves on loopback.
 *
 * The bundles are built with the project's esbuild settings (scripts/lambda-esbuild.ts) into a
 * temporary directory; its `node_modules` links to the project's, standing in for the AWS SDK
 * that the nodejs24.x runtime provides (the bundles keep `@aws-sdk/*` external).
 *
 * The runtime directory holds the package's `index.mjs` and `package.json`, and, when
 * `RIC_NATIVE_CLIENT` names an addon compiled from the package's source (see docs/aws.md), that
 * `rapid-client.node` beside them; else test/support/ric-native-preload.ts answers for it with
 * test/support/ric-native-stand-in.ts. Either way test/support/ric-write-probe.ts reports the
 * response stream's writes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildBundles } from '../../scripts/build-lambda.ts';
import { PROJECT_ROOT } from '../../scripts/lambda-esbuild.ts';
import type { RicPackage } from './ric-package.ts';
import { type InvocationResult, type InvokeOptions, type RuntimeApi, startRuntimeApi } from './ric-runtime-api.ts';
import type { ProbedWrite } from './ric-write-probe.ts';

const supportFile = (name: string) => fileURLToPath(new URL(name, import.meta.url));

/** The runtime's files, ready to run; `native` says what answers for the addon. */
interface RicRuntime {
  readonly entry: string;
  readonly native: 'compiled' | 'stand-in';
  readonly preloads: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly remove: () => void;
}

function prepareRicRuntime(pkg: RicPackage, compiledAddon = process.env.RIC_NATIVE_CLIENT): RicRuntime {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-ric-runtime-'));
  for (const file of ['index.mjs', 'package.json']) copyFileSync(join(pkg.dir, file), join(dir, file));
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
  };
  const probe = supportFile('./ric-write-probe.ts');
  if (compiledAddon !== undefined && compiledAddon !== '') {
    copyFileSync(compiledAddon, join(dir, 'rapid-client.node'));
    return { entry: join(dir, 'index.mjs'), native: 'compiled', preloads: [probe], env: {}, remove };
  }
  return {
    entry: join(dir, 'index.mjs'),
    native: 'stand-in',
    preloads: [supportFile('./ric-native-preload.ts'), probe],
    // The package's own node:http client asks for invocations; the stand-in never has to.
    env: { AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1: 'true' },
    remove,
  };
}

interface TaskRoots {
  readonly rest: string;
  readonly stream: string;
  /** `export const handler = async () => ({})`: the runtime's own start-up, for comparison. */
  readonly empty: string;
  readonly remove: () => void;
}

async function buildTaskRoots(): Promise<TaskRoots> {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-ric-task-'));
  symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(dir, 'node_modules'));
  await buildBundles(join(dir, 'bundles'));
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  writeFileSync(join(empty, 'index.mjs'), 'export const handler = async () => ({});\n');
  return {
    rest: join(dir, 'bundles', 'rest'),
    stream: join(dir, 'bundles', 'stream'),
    empty,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface ProbedChunk {
  /** process.hrtime.bigint() in the runtime process when the chunk was handed to the socket layer. */
  readonly at: bigint;
  readonly bytes: number;
}

interface RicFunction {
  readonly api: RuntimeApi;
  /** Spawn to the first GET /next: Node start, the runtime, and the import of the bundle. */
  initMs(): Promise<number>;
  /** api.invoke, failing at once (with the runtime's last error) if the process dies first. */
  invoke(event: unknown, options: InvokeOptions): Promise<InvocationResult>;
  /** Each chunk the runtime wrote to streamed responses, in order, from the `from`-th on. */
  writesSince(from: number, totalBytes: number): Promise<readonly ProbedChunk[]>;
  /** How many chunks have been reported so far (where the next invocation's writes start). */
  writeCount(): number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the process printed (stdout and stderr, interleaved, the first 64 KiB). */
  output(): string;
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 64 * 1024;

/** The variables Lambda sets for every function, for a function named `name`. */
function lambdaEnvironment(name: string, taskRoot: string, api: RuntimeApi): Record<string, string> {
  return {
    AWS_LAMBDA_RUNTIME_API: api.hostPort,
    _HANDLER: 'index.handler',
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/21/[$LATEST]0000',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    TZ: ':UTC',
    LANG: 'en_US.UTF-8',
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    // As the CDK stack sets it.
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** The runtime's own account of why it stopped: its init error, else what it printed last. */
function lastError(api: RuntimeApi, output: string): string {
  const posted = api.initErrors[0]?.body.toString('utf8') ?? output;
  const reported = /"errorType":"([^"]*)","errorMessage":"((?:[^"\\]|\\.){0,300})/.exec(posted);
  if (reported !== null) return `${reported[1] ?? ''}: ${reported[2] ?? ''}`;
  return /^\S*Error\b.*$/m.exec(output)?.[0] ?? output.trim().split('\n').at(-1) ?? '';
}

async function startRicFunction(options: {
  readonly runtime: RicRuntime;
  readonly taskRoot: string;
  /** The function's own configuration (the stack's environment). */
  readonly env: Readonly<Record<string, string>>;
}): Promise<RicFunction> {
  const api = await startRuntimeApi();
  const env = {
    ...lambdaEnvironment('tickerpulse-ric', options.taskRoot, api),
    ...options.runtime.env,
    ...options.env,
  };
  const importArgs = options.runtime.preloads.flatMap((file) => ['--import', file]);
  const spawnedAt = process.hrtime.bigint();
  const child = spawn(process.execPath, [...importArgs, options.runtime.entry], {
    env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < OUTPUT_LIMIT) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const writes: ProbedChunk[] = [];
  child.on('message', (message: Partial<ProbedWrite>) => {
    if (message.probe === 'write' && message.at !== undefined && message.bytes !== undefined)
      writes.push({ at: BigInt(message.at), bytes: message.bytes });
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  // A runtime that dies answers nothing: say so, with its own last error, instead of timing out.
  const orExit = <T>(promise: Promise<T>, waitingFor: string): Promise<T> =>
    Promise.race([
      promise,
      exited.then(({ code, signal }) => {
        throw new Error(
          `the runtime process exited (${String(code ?? signal)}) before ${waitingFor}: ${lastError(api, output)}`,
        );
      }),
    ]);
  return {
    api,
    initMs: async () => Number((await orExit(api.nextRequest(1), 'its first GET /next')) - spawnedAt) / 1e6,
    invoke: (event, invokeOptions) => orExit(api.invoke(event, invokeOptions), 'answering the invocation'),
    writeCount: () => writes.length,
    // The probe reports over IPC, the bytes travel over TCP: wait until the reports cover the body.
    writesSince: async (from, totalBytes) => {
      const until = Date.now() + 5000;
      const since = () => writes.slice(from);
      while (since().reduce((sum, w) => sum + w.bytes, 0) < totalBytes && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 10));
      return since();
    },
    child,
    exited,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await api.close();
    },
  };
}

export type { ProbedChunk, RicFunction, RicRuntime, TaskRoots };
export { buildTaskRoots, prepareRicRuntime, startRicFunction };
