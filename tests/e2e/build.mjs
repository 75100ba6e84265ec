// Bundles src/ with esbuild into <out>/front (index.html + bundle.js), served under /front like
// the assembly's production build. `--deps` is the folder where run.sh installed package.json's
// dependencies (var/e2e): esbuild and every import are resolved from there.
import { createRequire } from "node:module";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const PUBLIC_URL = "/front";

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { out: { type: "string" }, deps: { type: "string" } } });
const deps = resolve(values.deps);
const { build } = createRequire(join(deps, "package.json"))("esbuild");
const out = resolve(values.out);
const front = join(out, PUBLIC_URL);
mkdirSync(front, { recursive: true });

const started = performance.now();
await build({
  entryPoints: [join(here, "src/index.js")],
  bundle: true,
  outfile: join(front, "bundle.js"),
  nodePaths: [join(deps, "node_modules")],
  format: "iife",
  target: "chrome100",
  loader: { ".js": "jsx", ".svg": "dataurl" },
  jsx: "transform",
  define: {
    "process.env.NODE_ENV": '"production"',
    "process.env.PUBLIC_URL": JSON.stringify(PUBLIC_URL),
    "process.env.REACT_APP_API_URL": "undefined",
    global: "window",
  },
  // fe-core 1.11.0's RequireAuth (the frame of every signed-in page) calls
  // useTranslations(module, ...) with a free `module`: webpack, which the assembly builds with,
  // gives each module such a variable, esbuild does not (ReferenceError). A stand-in object.
  banner: { js: "var module = { exports: {} };" },
  minify: true,
  sourcemap: "linked",
  logLevel: "warning",
});
writeFileSync(join(front, "index.html"), readFileSync(join(here, "src/index.html"), "utf8").replaceAll("%PUBLIC_URL%", PUBLIC_URL));
console.log(`e2e: bundle built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
