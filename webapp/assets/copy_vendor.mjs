// Copies the pinned bpmn-js viewer build from node_modules into webapp/static/vendor/.
// Run by `npm ci` (postinstall); the vendor folder is gitignored, nothing minified is committed.
import { cpSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "node_modules", "bpmn-js", "dist");
const target = join(root, "webapp", "static", "vendor", "bpmn-js");
if (!existsSync(dist)) {
  console.error("bpmn-js is not installed: run `npm ci` at the repository root first");
  process.exit(1);
}
mkdirSync(target, { recursive: true });
cpSync(join(dist, "bpmn-navigated-viewer.production.min.js"), join(target, "bpmn-navigated-viewer.js"));
cpSync(join(dist, "assets"), join(target, "assets"), { recursive: true });
console.log(`bpmn-js copied to ${target}`);

// ECharts for the dashboard charts (each chart is also a table on the page).
const charts = join(root, "node_modules", "echarts", "dist");
if (!existsSync(charts)) {
  console.error("echarts is not installed: run `npm ci` at the repository root first");
  process.exit(1);
}
const chartsTarget = join(root, "webapp", "static", "vendor", "echarts");
mkdirSync(chartsTarget, { recursive: true });
cpSync(join(charts, "echarts.min.js"), join(chartsTarget, "echarts.min.js"));
console.log(`echarts copied to ${chartsTarget}`);
