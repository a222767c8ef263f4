/** The owner-only configuration operations. Not yours is 404, exactly like not there. */
import type { ConfigurationWrite } from '../../store/index.ts';
import { MAX_CONFIGURATIONS } from '../../store/index.ts';
import { ConflictError, NotFoundError } from '../errors.ts';
import type { Configuration } from '../../contract/index.ts';
import type { OperationHandler } from '../handler.ts';
import { type HandlerDeps, userOf } from './deps.ts';

const notFound = (configId: string) => new NotFoundError(`No configuration ${configId}.`);

interface Written<S extends 200 | 201> {
  readonly status: S;
  readonly body: Configuration;
  readonly headers: Readonly<Record<string, string>>;
}

function written<S extends 200 | 201>(
  result: ConfigurationWrite,
  configId: string,
  name: string,
  status: S,
): Written<S> {
  if (result.ok) {
    const headers: Record<string, string> =
      status === 201 ? { Location: `/api/v2/configurations/${result.configuration.config_id}` } : {};
    return { status, body: result.configuration, headers };
  }
  switch (result.reason) {
    case 'not-found':
      throw notFound(configId);
    case 'name-taken':
      throw new ConflictError(`You already have a configuration named ${JSON.stringify(name)}.`);
    case 'limit-reached':
      throw new ConflictError(`You already have ${MAX_CONFIGURATIONS} configurations, the maximum; delete one first.`);
  }
}

const listConfigurations =
  (deps: HandlerDeps): OperationHandler<'listConfigurations'> =>
  async ({ principal }) => ({
    status: 200,
    body: { configurations: await deps.store.listConfigurations(userOf(principal)) },
  });

const createConfiguration =
  (deps: HandlerDeps): OperationHandler<'createConfiguration'> =>
  async ({ principal, body }) =>
    written(await deps.store.createConfiguration(userOf(principal), body), '', body.name, 201);

const getConfiguration =
  (deps: HandlerDeps): OperationHandler<'getConfiguration'> =>
  async ({ principal, pathParams }) => {
    const configuration = await deps.store.getConfiguration(userOf(principal), pathParams.config_id);
    if (configuration === null) throw notFound(pathParams.config_id);
    return { status: 200, body: configuration };
  };

const replaceConfiguration =
  (deps: HandlerDeps): OperationHandler<'replaceConfiguration'> =>
  async ({ principal, pathParams, body }) =>
    written(
      await deps.store.replaceConfiguration(userOf(principal), pathParams.config_id, body),
      pathParams.config_id,
      body.name,
      200,
    );

const deleteConfiguration =
  (deps: HandlerDeps): OperationHandler<'deleteConfiguration'> =>
  async ({ principal, pathParams }) => {
    if (!(await deps.store.deleteConfiguration(userOf(principal), pathParams.config_id))) {
      throw notFound(pathParams.config_id);
    }
    return { status: 204 };
  };

/** `POST …/stream-token`: only for a configuration the caller owns. */
const createStreamToken =
  (deps: HandlerDeps): OperationHandler<'createStreamToken'> =>
  async ({ principal, pathParams }) => {
    const userId = userOf(principal);
    if ((await deps.store.getConfiguration(userId, pathParams.config_id)) === null)
      throw notFound(pathParams.config_id);
    const issued = await deps.streamTokens.issue(userId, pathParams.config_id);
    return {
      status: 200,
      body: { token: issued.token, expires_at: issued.expiresAt.toISOString() },
      headers: { 'Cache-Control': 'no-store' },
    };
  };

export {
  createConfiguration,
  createStreamToken,
  deleteConfiguration,
  getConfiguration,
  listConfigurations,
  replaceConfiguration,
};
