/**
 * The dashboard as the mock serves it: the static files of src/dashboard/ with the local server's
 * own middleware (src/http/security-headers.ts), so the page gets the same security headers and a
 * `/config.js` and Content-Security-Policy written from the same two endpoints, here the REST mock
 * and the mock SSE server. One URL is all a frontend developer opens.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import express from 'express';
import { dashboardSecurityHeaders } from '../../src/http/security-headers.ts';
import { repoRoot } from '../docs/tool-env.ts';

interface DashboardEndpoints {
  /** The REST mock (Prism), e.g. http://127.0.0.1:4010. */
  readonly restBaseUrl: string;
  /** The mock SSE server, e.g. http://127.0.0.1:4011. */
  readonly streamBaseUrl: string;
}

type DashboardHandler = (request: IncomingMessage, response: ServerResponse) => void;

function createDashboardHandler(endpoints: DashboardEndpoints): DashboardHandler {
  const app = express();
  app.disable('x-powered-by');
  app.use(
    dashboardSecurityHeaders({
      dashboardRestBaseUrl: endpoints.restBaseUrl,
      dashboardStreamBaseUrl: endpoints.streamBaseUrl,
    }),
  );
  // The chart library, served where src/runtime/server.ts serves it.
  const uplot = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist');
  app.use('/vendor/uplot', express.static(uplot, { index: false }));
  app.use(express.static(join(repoRoot, 'src/dashboard'), { index: 'index.html' }));
  app.use((req, res) => {
    res
      .status(404)
      .type('text/plain; charset=utf-8')
      .send(
        `Not found: ${req.path.slice(0, 200)} (the mock serves the dashboard at / and the streams under /api/v2/)\n`,
      );
  });
  return (request, response) => {
    app(request, response);
  };
}

export type { DashboardEndpoints, DashboardHandler };
export { createDashboardHandler };
