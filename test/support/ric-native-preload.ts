/**
 * Preloaded into the runtime child (`node --import`) when no compiled addon is given: the
 * runtime loads its addon with `createRequire(import.meta.url)('./rapid-client.node')`, and this
 * resolve hook answers that one specifier with test/support/ric-native-stand-in.ts.
 */
import { registerHooks } from 'node:module';

const STAND_IN = new URL('./ric-native-stand-in.ts', import.meta.url).href;

registerHooks({
  resolve: (specifier, context, nextResolve) =>
    specifier === './rapid-client.node' ? { url: STAND_IN, shortCircuit: true } : nextResolve(specifier, context),
});
