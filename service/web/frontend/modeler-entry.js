// Bundled by service/web/vendor.py with esbuild at `make vendor` into
// static/vendor/designer/modeler.js (an IIFE exposing window.XuanpinModeler); never at run time.
// The properties panel and camunda-bpmn-moddle ship only as ES modules, hence the bundle.
import BpmnModeler from "bpmn-js/lib/Modeler";
import {
  BpmnPropertiesPanelModule,
  BpmnPropertiesProviderModule,
  CamundaPlatformPropertiesProviderModule,
} from "bpmn-js-properties-panel";
import CamundaPlatformBehaviors from "camunda-bpmn-js-behaviors/lib/camunda-platform";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import translate from "./translate-zh.js";

// A modeler with the Camunda 7 properties panel in `panel`.
export function createModeler(container, panel) {
  return new BpmnModeler({
    container,
    propertiesPanel: { parent: panel },
    additionalModules: [
      BpmnPropertiesPanelModule,
      BpmnPropertiesProviderModule,
      CamundaPlatformPropertiesProviderModule,
      CamundaPlatformBehaviors,
      { translate: ["value", translate] },
    ],
    moddleExtensions: { camunda: camundaModdle },
  });
}
