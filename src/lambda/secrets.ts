/**
 * Secrets in Lambda come from SSM Parameter Store (SecureString), never from the template: the
 * stack passes parameter *names* (`<SECRET>_PARAMETER`), and this fills in the values before the
 * configuration is read.
 */
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';

const SECRET_VARIABLES = ['INGEST_API_KEY', 'AUTH_JWT_SECRET', 'STREAM_TOKEN_SECRET'] as const;

/** `env` plus the secret values of any `<SECRET>_PARAMETER` it names. */
async function withSecretParameters(
  env: Readonly<Record<string, string | undefined>>,
): Promise<Record<string, string | undefined>> {
  const wanted = SECRET_VARIABLES.filter((name) => env[`${name}_PARAMETER`] !== undefined && env[name] === undefined);
  if (wanted.length === 0) return { ...env };
  const ssm = new SSMClient({});
  try {
    const values = await Promise.all(
      wanted.map(async (name) => {
        const { Parameter } = await ssm.send(
          new GetParameterCommand({ Name: env[`${name}_PARAMETER`], WithDecryption: true }),
        );
        if (Parameter?.Value === undefined)
          throw new Error(`SSM parameter ${env[`${name}_PARAMETER`] ?? ''} has no value`);
        return [name, Parameter.Value] as const;
      }),
    );
    return { ...env, ...Object.fromEntries(values) };
  } finally {
    ssm.destroy();
  }
}

export { SECRET_VARIABLES, withSecretParameters };
