"""One small diagram per BPMN element (and event definition) SpiffWorkflow 3.2 parses, for the
round-trip test of the stored spec format and for bench/coverage.py."""

from __future__ import annotations

from tests.engine import bpmn_builder as b

ROOTS = (
    '<bpmn:message id="msg" name="msg"/>'
    '<bpmn:signal id="sig" name="sig"/>'
    '<bpmn:error id="err" errorCode="E1"/>'
    '<bpmn:escalation id="esc" escalationCode="X1"/>'
)

TIMERS = {
    "date": "<bpmn:timeDate>'2026-03-03T09:00:00+08:00'</bpmn:timeDate>",
    "duration": "<bpmn:timeDuration>'PT1H'</bpmn:timeDuration>",
    "cycle": "<bpmn:timeCycle>'R2/PT1H'</bpmn:timeCycle>",
}

DEFINITIONS = {
    "message": '<bpmn:messageEventDefinition messageRef="msg"/>',
    "signal": '<bpmn:signalEventDefinition signalRef="sig"/>',
    "error": '<bpmn:errorEventDefinition errorRef="err"/>',
    "escalation": '<bpmn:escalationEventDefinition escalationRef="esc"/>',
    "conditional": (
        '<bpmn:conditionalEventDefinition><bpmn:condition xsi:type="bpmn:tFormalExpression">'
        "ready == True</bpmn:condition></bpmn:conditionalEventDefinition>"
    ),
    "terminate": "<bpmn:terminateEventDefinition/>",
    **{f"timer_{k}": f"<bpmn:timerEventDefinition>{v}</bpmn:timerEventDefinition>" for k, v in TIMERS.items()},
}

MI_INPUT = (
    "<bpmn:multiInstanceLoopCharacteristics{seq}><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>"
    "<bpmn:loopDataOutputRef>results</bpmn:loopDataOutputRef>"
    '<bpmn:inputDataItem id="item"/><bpmn:outputDataItem id="result"/>'
    "</bpmn:multiInstanceLoopCharacteristics>"
)


def _doc(pid: str, body: str) -> str:
    return b.process(pid, body).replace("</bpmn:definitions>", f"{ROOTS}</bpmn:definitions>")


def _through(pid: str, middle: str, middle_id: str = "x") -> str:
    """start → the element → end."""
    return _doc(pid, "\n".join([
        '<bpmn:startEvent id="begin"/>', middle, '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", middle_id), b.flow("f2", middle_id, "finish"),
    ]))


def _sub(tag: str, extra: str = "") -> str:
    return (
        f'<bpmn:{tag} id="x"{extra}><bpmn:startEvent id="sub_begin"/><bpmn:task id="inner"/>'
        '<bpmn:endEvent id="sub_finish"/>' + b.flow("s1", "sub_begin", "inner") + b.flow("s2", "inner", "sub_finish")
        + f"</bpmn:{tag}>"
    )


def catalogue() -> dict[str, str]:
    """Name → diagram, one per element kind; process ids are `el_<name>`."""
    docs: dict[str, str] = {}
    for tag in ("task", "userTask", "manualTask", "sendTask", "receiveTask"):
        ref = ' messageRef="msg"' if tag in ("sendTask", "receiveTask") else ""
        docs[tag] = _through(f"el_{tag}", f"<bpmn:{tag} id=\"x\"{ref}/>")
    docs["scriptTask"] = _through(
        "el_scriptTask", '<bpmn:scriptTask id="x"><bpmn:script>y = 1</bpmn:script></bpmn:scriptTask>'
    )
    for name, attrs in {
        "serviceTask": "",
        "serviceTask_class": ' camunda:class="org.example.Send"',
        "serviceTask_expression": ' camunda:expression="${sender.send()}"',
        "serviceTask_external": ' camunda:type="external" camunda:topic="sms"',
    }.items():
        docs[name] = _through(f"el_{name}", f'<bpmn:serviceTask id="x"{attrs}/>')
    docs["subProcess"] = _through("el_subProcess", _sub("subProcess"))
    docs["transaction"] = _through("el_transaction", _sub("transaction"))
    docs["adHocSubProcess"] = _through(
        "el_adHocSubProcess", '<bpmn:adHocSubProcess id="x"><bpmn:task id="inner"/></bpmn:adHocSubProcess>'
    )
    docs["callActivity"] = _through("el_callActivity", '<bpmn:callActivity id="x" calledElement="el_called"/>').replace(
        "</bpmn:definitions>",
        '<bpmn:process id="el_called" isExecutable="true"><bpmn:startEvent id="c1"/><bpmn:endEvent id="c2"/>'
        + b.flow("cf", "c1", "c2") + "</bpmn:process></bpmn:definitions>",
    )
    docs["standardLoop"] = _through(
        "el_standardLoop",
        '<bpmn:scriptTask id="x"><bpmn:standardLoopCharacteristics><bpmn:loopCondition>n &gt; 2'
        "</bpmn:loopCondition></bpmn:standardLoopCharacteristics>"
        "<bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>",
    )
    docs["parallelMultiInstance"] = _through(
        "el_parallelMultiInstance",
        f'<bpmn:scriptTask id="x">{MI_INPUT.format(seq="")}'
        "<bpmn:script>result = item * 2</bpmn:script></bpmn:scriptTask>",
    )
    docs["sequentialMultiInstance"] = _through(
        "el_sequentialMultiInstance",
        '<bpmn:userTask id="x">' + MI_INPUT.format(seq=' isSequential="true"') + "</bpmn:userTask>",
    )
    for tag in ("exclusiveGateway", "inclusiveGateway", "parallelGateway"):
        docs[tag] = _doc(f"el_{tag}", "\n".join([
            '<bpmn:startEvent id="begin"/>', f'<bpmn:{tag} id="split"/>', f'<bpmn:{tag} id="join"/>',
            '<bpmn:task id="a"/>', '<bpmn:task id="b"/>', '<bpmn:endEvent id="finish"/>',
            b.flow("f1", "begin", "split"),
            b.flow("f2", "split", "a", None if tag == "parallelGateway" else "True"),
            b.flow("f3", "split", "b", None if tag == "parallelGateway" else "False"),
            b.flow("f4", "a", "join"), b.flow("f5", "b", "join"), b.flow("f6", "join", "finish"),
        ]))
    docs["eventBasedGateway"] = _doc("el_eventBasedGateway", "\n".join([
        '<bpmn:startEvent id="begin"/>', '<bpmn:eventBasedGateway id="split"/>',
        f'<bpmn:intermediateCatchEvent id="on_message">{DEFINITIONS["message"]}</bpmn:intermediateCatchEvent>',
        f'<bpmn:intermediateCatchEvent id="on_timer">{DEFINITIONS["timer_duration"]}</bpmn:intermediateCatchEvent>',
        '<bpmn:endEvent id="finish"/>', '<bpmn:endEvent id="finish_late"/>',
        b.flow("f1", "begin", "split"), b.flow("f2", "split", "on_message"), b.flow("f3", "split", "on_timer"),
        b.flow("f4", "on_message", "finish"), b.flow("f5", "on_timer", "finish_late"),
    ]))
    for name in ("message", "signal", "conditional", "timer_date", "timer_duration", "timer_cycle"):
        docs[f"intermediateCatch_{name}"] = _through(
            f"el_intermediateCatch_{name}",
            f'<bpmn:intermediateCatchEvent id="x">{DEFINITIONS[name]}</bpmn:intermediateCatchEvent>',
        )
        docs[f"start_{name}"] = _doc(f"el_start_{name}", "\n".join([
            f'<bpmn:startEvent id="begin">{DEFINITIONS[name]}</bpmn:startEvent>', '<bpmn:endEvent id="finish"/>',
            b.flow("f1", "begin", "finish"),
        ]))
    docs["intermediateCatch_multiple"] = _through(
        "el_intermediateCatch_multiple",
        f'<bpmn:intermediateCatchEvent id="x">{DEFINITIONS["message"]}{DEFINITIONS["signal"]}'
        "</bpmn:intermediateCatchEvent>",
    )
    for name in ("none", "message", "signal", "escalation"):
        definition = "" if name == "none" else DEFINITIONS[name]
        docs[f"intermediateThrow_{name}"] = _through(
            f"el_intermediateThrow_{name}",
            f'<bpmn:intermediateThrowEvent id="x">{definition}</bpmn:intermediateThrowEvent>',
        )
    for name in ("message", "signal", "error", "escalation", "terminate"):
        docs[f"end_{name}"] = _doc(f"el_end_{name}", "\n".join([
            '<bpmn:startEvent id="begin"/>', f'<bpmn:endEvent id="finish">{DEFINITIONS[name]}</bpmn:endEvent>',
            b.flow("f1", "begin", "finish"),
        ]))
    docs["end_cancel"] = _through("el_end_cancel", (
        '<bpmn:transaction id="x"><bpmn:startEvent id="sub_begin"/>'
        '<bpmn:endEvent id="sub_cancel"><bpmn:cancelEventDefinition/></bpmn:endEvent>'
        + b.flow("s1", "sub_begin", "sub_cancel") + "</bpmn:transaction>"
    ))
    for name in ("message", "signal", "error", "escalation", "conditional", "timer_duration"):
        for interrupting in ("true", "false") if name not in ("error",) else ("true",):
            key = f"boundary_{name}_{'interrupting' if interrupting == 'true' else 'non_interrupting'}"
            docs[key] = _doc(f"el_{key}", "\n".join([
                '<bpmn:startEvent id="begin"/>', '<bpmn:userTask id="work"/>',
                f'<bpmn:boundaryEvent id="x" attachedToRef="work" cancelActivity="{interrupting}">'
                f"{DEFINITIONS[name]}</bpmn:boundaryEvent>",
                '<bpmn:endEvent id="finish"/>', '<bpmn:endEvent id="finish_boundary"/>',
                b.flow("f1", "begin", "work"), b.flow("f2", "work", "finish"), b.flow("f3", "x", "finish_boundary"),
            ]))
    docs["eventSubProcess"] = _doc("el_eventSubProcess", "\n".join([
        '<bpmn:startEvent id="begin"/>', '<bpmn:userTask id="work"/>', '<bpmn:endEvent id="finish"/>',
        b.flow("f1", "begin", "work"), b.flow("f2", "work", "finish"),
        f'<bpmn:subProcess id="x" triggeredByEvent="true"><bpmn:startEvent id="sub_begin">{DEFINITIONS["message"]}'
        '</bpmn:startEvent><bpmn:endEvent id="sub_finish"/>' + b.flow("s1", "sub_begin", "sub_finish")
        + "</bpmn:subProcess>",
    ]))
    return docs
