/**
 * nginx + Nchan as a benchmark target: the peer tickerpulse is compared with. Nchan is a C
 * pub/sub module for nginx that keeps messages in shared memory and stores nothing; it serves the
 * same clients the same way (EventSource on `GET /stream`, each message an `event: new_item`
 * whose data is the item) and is published to with `POST /publish`, the item as the body.
 *
 * nginx runs as one process (`master_process off`: the single worker a one-core peer has) on a
 * free loopback port, from a configuration written to a temporary directory, so nothing of the
 * machine's own nginx is used or changed. Found at the Debian paths of the packages `nginx-light`
 * (or `nginx`) and `libnginx-mod-nchan`; when they are missing the target says how to install
 * them, and the benchmark goes on without it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../lib/child-process.ts';
import { freePort } from '../lib/free-port.ts';
import { benchItem } from './bench-items.ts';
import { onCleanup, stopWithin } from './cleanup.ts';
import { postJson } from './loopback-http.ts';
import type { StreamTarget } from './stream-run.ts';

const NGINX = '/usr/sbin/nginx';
const NCHAN_MODULE = '/usr/lib/nginx/modules/ngx_nchan_module.so';
const INSTALL_HINT =
  'install the Debian packages nginx-light and libnginx-mod-nchan (apt-get install nginx-light libnginx-mod-nchan)';
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 10_000;
/** Nchan pushes on publish, as the floor does: anything later than this is lost, not late. */
const DELIVERY_TIMEOUT_MS = 6000;

type NchanLaunch =
  | { readonly available: false; readonly reason: string }
  | { readonly available: true; readonly target: StreamTarget; stop(): Promise<void> };

/** nginx's version and Nchan's, for the report (e.g. `nginx 1.22.1, nchan 1.3.6`), as the packages say. */
function versions(): string {
  const nginx = /nginx\/([\d.]+)/.exec(spawnSync(NGINX, ['-v'], { encoding: 'utf8' }).stderr)?.[1] ?? 'unknown';
  const query = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'libnginx-mod-nchan'], { encoding: 'utf8' });
  const nchan = /^(?:\d+:)?([\d.]+)/.exec(query.stdout)?.[1] ?? 'unknown';
  return `nginx ${nginx}, nchan ${nchan}`;
}

/** The whole configuration: one process, one channel, in memory, on `port` of 127.0.0.1. */
function configuration(prefix: string, port: number): string {
  return `
load_module ${NCHAN_MODULE};
daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 20000; multi_accept on; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location = /stream {
      nchan_subscriber eventsource;
      nchan_channel_id bench;
      nchan_eventsource_event new_item;
      nchan_subscriber_first_message newest;
    }
    location = /publish {
      nchan_publisher;
      nchan_channel_id bench;
      nchan_message_buffer_length 16;
    }
  }
}
`;
}

/** Resolves once something accepts HTTP on `port`, or rejects when `child` exits first. */
async function waitForPort(port: number, child: ChildProcess, prefix: string): Promise<void> {
  const giveUpAt = performance.now() + START_TIMEOUT_MS;
  while (performance.now() < giveUpAt) {
    if (child.exitCode !== null) {
      const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      throw new Error(`nginx exited with ${String(child.exitCode)}: ${log.trim()}`);
    }
    const answered = await fetch(`http://127.0.0.1:${String(port)}/publish`, { method: 'GET' }).then(
      () => true,
      () => false,
    );
    if (answered) return;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on 127.0.0.1:${String(port)} within ${String(START_TIMEOUT_MS)} ms`);
}

/** Starts nginx + Nchan, or says why it cannot. */
async function launchNchan(): Promise<NchanLaunch> {
  if (!existsSync(NGINX) || !existsSync(NCHAN_MODULE))
    return { available: false, reason: `not installed: ${INSTALL_HINT}` };
  const prefix = mkdtempSync(join(tmpdir(), 'tickerpulse-nchan-'));
  for (const dir of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(prefix, dir));
  const port = await freePort();
  writeFileSync(join(prefix, 'nginx.conf'), configuration(prefix, port));
  const child = spawn(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf'), '-e', join(prefix, 'error.log')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= stopWithin(() => stopChild(child), child.pid ?? 0, STOP_GRACE_MS).finally(() => {
      rmSync(prefix, { recursive: true, force: true });
    }));
  const unregister = onCleanup(stop);
  try {
    await waitForPort(port, child, prefix);
  } catch (error) {
    await stop();
    unregister();
    return { available: false, reason: `did not start: ${String(error)}` };
  }
  const base = `http://127.0.0.1:${String(port)}`;
  return {
    available: true,
    target: {
      name: `nchan (${versions()})`,
      pid: child.pid ?? 0,
      host: '127.0.0.1',
      port,
      streamPath: '/stream',
      publish: (itemId, index) => postJson(`${base}/publish`, benchItem(itemId, index)),
      readFeedCounters: () => Promise.resolve(undefined),
      deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
    },
    stop: async () => {
      await stop();
      unregister();
    },
  };
}

export type { NchanLaunch };
export { INSTALL_HINT, launchNchan };
