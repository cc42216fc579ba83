// Builds the web UI into dist/ (git-ignored): app.js + app.css bundled by esbuild, index.html copied.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";

const dist = new URL("./dist/", import.meta.url);
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: { app: "src/main.ts" },
  bundle: true,
  format: "esm",
  target: ["es2020"],
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  outdir: "dist",
  logLevel: "warning",
});
copyFileSync(new URL("./index.html", import.meta.url), new URL("./index.html", dist));
console.log("web UI built into web/dist");
