// Bundles the designer (webapp/assets/designer.mjs) with the pinned esbuild into
// webapp/static/vendor/designer/, beside the CSS of bpmn-js, the properties panel, bpmnlint
// and dmn-js. Run by `npm ci` (postinstall, after copy_vendor.mjs); the output is gitignored.
import { build } from "esbuild";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const modules = join(root, "node_modules");
const target = join(root, "webapp", "static", "vendor", "designer");
mkdirSync(target, { recursive: true });
await build({
  entryPoints: [join(root, "webapp", "assets", "designer.mjs")],
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: false,
  legalComments: "inline",
  outfile: join(target, "designer.js"),
  logLevel: "warning",
});
const styles = [
  ["bpmn-js/dist/assets/diagram-js.css", "diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css", "bpmn-embedded.css"],
  ["@bpmn-io/properties-panel/dist/assets/properties-panel.css", "properties-panel.css"],
  ["bpmn-js-bpmnlint/dist/assets/css/bpmn-js-bpmnlint.css", "bpmn-js-bpmnlint.css"],
  ["dmn-js/dist/assets/diagram-js.css", "dmn-diagram-js.css"],
  ["dmn-js/dist/assets/dmn-js-shared.css", "dmn-js-shared.css"],
  ["dmn-js/dist/assets/dmn-js-drd.css", "dmn-js-drd.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table.css", "dmn-js-decision-table.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table-controls.css", "dmn-js-decision-table-controls.css"],
  ["dmn-js/dist/assets/dmn-js-literal-expression.css", "dmn-js-literal-expression.css"],
  ["dmn-js/dist/assets/dmn-font/css/dmn-embedded.css", "dmn-embedded.css"],
];
for (const [from, to] of styles) {
  cpSync(join(modules, from), join(target, to));
}
console.log(`designer bundled into ${target}`);
