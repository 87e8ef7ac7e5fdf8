// The designer's browser bundle: bpmn-js Modeler with its properties panel and the Camunda 7
// moddle extension, bpmnlint while drawing, dmn-js for decision tables. Bundled by
// build_designer.mjs (run by `npm ci`) into webapp/static/vendor/designer/; nothing minified
// is committed. webapp/static/designer.js drives it through window.AnjieDesigner.
import BpmnModeler from "bpmn-js/lib/Modeler";
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaBehaviorsModule from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import lintModule from "bpmn-js-bpmnlint";
import DmnModeler from "dmn-js/lib/Modeler";
import { linterConfig } from "./designer_lint.mjs";
import { translate } from "./designer_zh.mjs";

const translateModule = { translate: ["value", translate] };

function modeler(container, panel) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: panel },
    linting: { bpmnlint: linterConfig, active: true },
    additionalModules: [
      BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, CamundaPlatformPropertiesProviderModule,
      CamundaBehaviorsModule, lintModule, translateModule,
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
}

function viewer(container) {
  return new NavigatedViewer({ container, additionalModules: [translateModule],
                               moddleExtensions: { camunda: camundaModdle } });
}

function decisions(container) {
  return new DmnModeler({ container, common: { additionalModules: [translateModule] } });
}

window.AnjieDesigner = { modeler, viewer, decisions };
