/** TypeScript types of the REST contract, via openapi-typescript's Node API on the bundled spec. */
import openapiTS, { astToString } from 'openapi-typescript';
import type { JsonObject } from './bundle-spec.ts';
import { generatedHeader } from './header.ts';

async function generateOpenApiTypes(document: JsonObject): Promise<string> {
  // The bundled document has no external references left, so no base URL is needed.
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], {
    exportType: false,
    alphabetize: false,
  });
  return generatedHeader('openapi-typescript', 'specs/openapi.yaml') + astToString(ast);
}

export { generateOpenApiTypes };
