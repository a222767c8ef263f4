/** Interfaces of the SSE event payloads, via Modelina on the bundled AsyncAPI document. */
import { TypeScriptGenerator } from '@asyncapi/modelina';
import type { JsonObject } from './bundle-spec.ts';
import { generatedHeader } from './header.ts';

/** File name (without extension) → file content. */
type GeneratedFiles = Map<string, string>;

async function generateEventModels(document: JsonObject): Promise<GeneratedFiles> {
  const generator = new TypeScriptGenerator({
    modelType: 'interface',
    enumType: 'union',
    // JSON objects with free keys (`by_tag`) must be plain records, not `Map`s.
    mapType: 'record',
    rawPropertyNames: true,
    moduleSystem: 'ESM',
  });
  const models = await generator.generateCompleteModels(JSON.stringify(document), { exportType: 'named' });
  const header = generatedHeader('@asyncapi/modelina', 'specs/asyncapi.yaml');
  const files: GeneratedFiles = new Map();
  for (const model of [...models].sort((a, b) => a.modelName.localeCompare(b.modelName))) {
    // Modelina writes `import {X} from './X'` and `export { X }`: NodeNext needs the extension, and
    // the models are types only, so `import type` / `export type` keep them erasable under
    // verbatimModuleSyntax.
    const body = model.result
      .replace(/^import \{(\w+)\} from '\.\/(\w+)';$/gm, "import type { $1 } from './$2.ts';")
      .replace(/^export \{ (\w+) \};$/gm, 'export type { $1 };');
    files.set(model.modelName, `${header}${body.trimEnd()}\n`);
  }
  const index = [...files.keys()].map((name) => `export type { ${name} } from './${name}.ts';`).join('\n');
  files.set('index', `${header}${index}\n`);
  return files;
}

export type { GeneratedFiles };
export { generateEventModels };
