/**
 * Where the repository and its tool binaries are, and the environment every spawned tool gets:
 * telemetry, update checks and install-time phoning home switched off, so that building the docs
 * or running the mock sends nothing anywhere (see the toolchain notes, §3).
 */
import { join, resolve } from 'node:path';

/** The repository root (this file is scripts/docs/tool-env.ts). */
const repoRoot = resolve(import.meta.dirname, '../..');

/** The JS entry points of the tools, run with `process.execPath` so a kill reaches the tool itself. */
const toolScripts = {
  redocly: join(repoRoot, 'node_modules/@redocly/cli/bin/cli.js'),
  asyncapi: join(repoRoot, 'node_modules/@asyncapi/cli/bin/run_bin'),
  prism: join(repoRoot, 'node_modules/@stoplight/prism-cli/dist/index.js'),
} as const;

/** `process.env` plus every telemetry and update-check switch the tools honour. */
function offlineToolEnv(root: string = repoRoot): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CI: 'true',
    DO_NOT_TRACK: '1',
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    // Without this file the AsyncAPI CLI writes ~/.asyncapi-analytics set to "true" and posts events.
    ASYNCAPI_METRICS_CONFIG_PATH: join(root, '.config/asyncapi-analytics.json'),
    ASYNCAPI_SKIP_NEW_VERSION_CHECK: 'true',
    SUPPRESS_NO_CONFIG_WARNING: 'true',
    SCARF_ANALYTICS: 'false',
  };
}

export { offlineToolEnv, repoRoot, toolScripts };
