/**
 * What the docs build adds to the pages the tools write, where the tools render the contracts
 * less well than the contracts deserve. Everything is inline (no file, nothing from another host):
 *
 * - Code spans. The contracts write code as Markdown (`npm start`), and some fields are shown as
 *   plain text (an AsyncAPI operation's `summary`, an OpenAPI server's `description` in Redoc),
 *   backticks and all. A small script turns such spans into `<code>` once the page's React owns
 *   the element (changing it earlier would break React's hydration), and again whenever the page
 *   renders more. The AsyncAPI template's stylesheet also draws a backtick before and after every
 *   `<code>` (Tailwind Typography's default); a style rule takes them away.
 * - The AsyncAPI page's layout. Its React component picks the desktop layout (sidebar, no menu
 *   button) only for a page wider than 1536 px, though its stylesheet lays that layout out from
 *   1024 px: at a common 1280 px the page looked like a phone's. The build moves the switch to
 *   1024 px in the copy of the component the page loads.
 */

/** Marks the `<code>` elements the script makes, for the style below and for tests. */
const CODE_SPAN_CLASS = 'tp-code-span';

/** The browser script, as written into the page (plain ES2020, no imports). */
const CODE_SPANS_SCRIPT = `(() => {
  const SPAN = /\`([^\`\\n]+)\`/;
  const SKIP = 'code, pre, script, style, textarea, kbd, samp, [contenteditable]';
  // Hydration attaches React's fibers to the elements it takes over; before that, a change breaks it.
  const owned = (element) => Object.keys(element).some((key) => key.startsWith('__reactFiber$'));
  const convert = (node) => {
    const fragment = document.createDocumentFragment();
    node.data.split(/\`([^\`\\n]+)\`/).forEach((part, index) => {
      if (index % 2 === 0) {
        if (part !== '') fragment.append(part);
        return;
      }
      const code = document.createElement('code');
      code.className = '${CODE_SPAN_CLASS}';
      code.textContent = part;
      fragment.append(code);
    });
    node.replaceWith(fragment);
  };
  const pass = (root) => {
    const found = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (parent !== null && SPAN.test(node.data) && owned(parent) && parent.closest(SKIP) === null) found.push(node);
    }
    found.forEach(convert);
  };
  const pending = new Set();
  let queued = false;
  const schedule = (root) => {
    pending.add(root);
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      const roots = [...pending];
      pending.clear();
      for (const each of roots) if (each.isConnected) pass(each);
    });
  };
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === 'characterData') schedule(record.target.parentNode ?? document.body);
      else record.addedNodes.forEach((added) => schedule(added.nodeType === 3 ? (added.parentNode ?? document.body) : added));
    }
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  // Hydration changes no node, so nothing is observed: the whole page is looked at again for a while.
  let rounds = 0;
  const timer = setInterval(() => {
    schedule(document.body);
    rounds += 1;
    if (rounds === 40) clearInterval(timer);
  }, 250);
  schedule(document.body);
})();`;

const CODE_SPAN_STYLE =
  `code.${CODE_SPAN_CLASS} { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; ` +
  'font-size: 0.9em; background: rgba(127, 127, 127, 0.15); padding: 0 0.25em; border-radius: 3px; }';

/** Tailwind Typography puts a backtick before and after every inline `<code>` of the AsyncAPI page. */
const ASYNCAPI_STYLE = `.aui-root .prose code::before, .aui-root .prose code::after { content: none; }\n${CODE_SPAN_STYLE}`;

/** Inserts `snippet` before the last `marker` of `html` (e.g. `</body>`); throws if there is none. */
function insertBefore(html: string, marker: string, snippet: string, where: string): string {
  const at = html.lastIndexOf(marker);
  if (at < 0) throw new Error(`${where}: no ${marker} to add the docs build's fixes before`);
  return `${html.slice(0, at)}${snippet}\n${html.slice(at)}`;
}

/** A page with the code-span script and `style` added. */
function withCodeSpans(html: string, style: string, where: string): string {
  const styled = insertBefore(html, '</head>', `<style data-docs-fix="code-spans">${style}</style>`, where);
  return insertBefore(styled, '</body>', `<script data-docs-fix="code-spans">${CODE_SPANS_SCRIPT}</script>`, where);
}

/** The Redoc page (openapi.html) with its plain-text code spans shown as code. */
const fixRedocPage = (html: string, where: string): string => withCodeSpans(html, CODE_SPAN_STYLE, where);

/** The AsyncAPI page (asyncapi/index.html) with code spans shown as code, without backticks. */
const fixAsyncApiPage = (html: string, where: string): string => withCodeSpans(html, ASYNCAPI_STYLE, where);

/**
 * The width at which the AsyncAPI React component picks its layouts, in its minified copy:
 * `<width> <= 1536 ? "container:xl" : "container:base"`, where `container:base` is the desktop one.
 */
const LAYOUT_SWITCH = /(\w+)<=1536\?"container:xl":"container:base"/g;
/** The stylesheet lays the desktop layout out from this width (`@media (min-width: 1024px)`). */
const DESKTOP_FROM_PX = 1024;

/** The component's script with the desktop layout from 1024 px on; throws if the switch is not found once. */
function fixAsyncApiLayout(script: string, where: string): string {
  const found = [...script.matchAll(LAYOUT_SWITCH)].length;
  if (found !== 1) {
    throw new Error(
      `${where}: expected the layout switch (<=1536 ? "container:xl" : "container:base") once, found ${found}; ` +
        'the AsyncAPI template changed: see scripts/docs/page-fixes.ts',
    );
  }
  return script.replace(
    LAYOUT_SWITCH,
    (_all, width: string) => `${width}<${DESKTOP_FROM_PX}?"container:xl":"container:base"`,
  );
}

export { CODE_SPAN_CLASS, DESKTOP_FROM_PX, fixAsyncApiLayout, fixAsyncApiPage, fixRedocPage };
