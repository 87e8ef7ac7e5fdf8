// The rules bpmnlint runs while a designer draws: bpmnlint's own (unconnected elements,
// missing labels, ...) and the product's (every person's task has an owner, forking
// exclusive gateways have a default flow, every timer has an expression and none the engine
// refuses, such as a cycle with no interval).
import StaticResolver from "bpmnlint/lib/resolver/static-resolver";
import labelRequired from "bpmnlint/rules/label-required";
import noDisconnected from "bpmnlint/rules/no-disconnected";
import startEventRequired from "bpmnlint/rules/start-event-required";
import endEventRequired from "bpmnlint/rules/end-event-required";
import noImplicitSplit from "bpmnlint/rules/no-implicit-split";
import singleBlankStartEvent from "bpmnlint/rules/single-blank-start-event";
import { is } from "bpmnlint-utils";

function laneOf(node) {
  let process = node.$parent;
  while (process && !is(process, "bpmn:Process")) { process = process.$parent; }
  for (const set of (process && process.laneSets) || []) {
    for (const lane of set.lanes || []) {
      if ((lane.flowNodeRef || []).includes(node)) { return lane; }
    }
  }
  return null;
}

function taskOwner() {
  return {
    check(node, reporter) {
      if (!is(node, "bpmn:UserTask") && !is(node, "bpmn:ManualTask")) { return; }
      const owned = node.get("camunda:candidateGroups") || node.get("camunda:assignee") || laneOf(node);
      if (!owned) { reporter.report(node.id, "人工任务没有泳道、候选组或办理人"); }
    },
  };
}

function gatewayDefault() {
  return {
    check(node, reporter) {
      if (is(node, "bpmn:ExclusiveGateway") && (node.outgoing || []).length > 1 && !node.default) {
        reporter.report(node.id, "排他网关没有默认流向");
      }
    },
  };
}

function timerExpression() {
  return {
    check(node, reporter) {
      for (const definition of node.eventDefinitions || []) {
        if (!is(definition, "bpmn:TimerEventDefinition")) { continue; }
        const expr = definition.timeDate || definition.timeDuration || definition.timeCycle;
        const body = ((expr && expr.body) || "").trim();
        if (!body) { reporter.report(node.id, "定时器没有时间表达式"); continue; }
        // As the engine refuses it at deploy: a cycle with no duration would fire for ever.
        if (/^["']?R\d*\/(P(T0+[HMS]|0+[DWMY])|PT0S)["']?$/i.test(body)) {
          reporter.report(node.id, "循环定时器的间隔为零，引擎会拒绝部署");
        }
      }
    },
  };
}

const rules = {
  "label-required": labelRequired,
  "no-disconnected": noDisconnected,
  "start-event-required": startEventRequired,
  "end-event-required": endEventRequired,
  "no-implicit-split": noImplicitSplit,
  "single-blank-start-event": singleBlankStartEvent,
};
const cache = {};
for (const [name, rule] of Object.entries(rules)) { cache[`rule:bpmnlint/${name}`] = rule; }
cache["rule:bpmnlint-plugin-anjie/task-owner"] = taskOwner;
cache["rule:bpmnlint-plugin-anjie/gateway-default"] = gatewayDefault;
cache["rule:bpmnlint-plugin-anjie/timer-expression"] = timerExpression;

export const linterConfig = {
  config: {
    rules: {
      ...Object.fromEntries(Object.keys(rules).map((name) => [name, "warn"])),
      "anjie/task-owner": "error",
      "anjie/gateway-default": "warn",
      "anjie/timer-expression": "error",
    },
  },
  resolver: new StaticResolver(cache),
};
