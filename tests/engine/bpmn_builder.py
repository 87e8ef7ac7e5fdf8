"""Small BPMN documents built in code for engine tests (the product diagrams live in processes/)."""

from __future__ import annotations

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
    'xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://anjie.test">\n'
)


def process(pid: str, body: str, executable: bool = True) -> str:
    flag = "true" if executable else "false"
    return f'{HEAD}<bpmn:process id="{pid}" isExecutable="{flag}">\n{body}\n</bpmn:process>\n</bpmn:definitions>\n'


def flow(fid: str, src: str, dst: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}"/>'
    return (
        f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{dst}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
    )


def script_process(pid: str, script: str, *, then_user_task: bool = True) -> str:
    """start → script → (user task) → end."""
    parts = [
        '<bpmn:startEvent id="begin"/>',
        f'<bpmn:scriptTask id="run_script"><bpmn:script><![CDATA[{script}]]></bpmn:script></bpmn:scriptTask>',
        flow("f1", "begin", "run_script"),
    ]
    if then_user_task:
        parts += [
            '<bpmn:userTask id="check" name="检查" camunda:candidateGroups="case_handler"/>',
            flow("f2", "run_script", "check"),
            '<bpmn:endEvent id="finish"/>',
            flow("f3", "check", "finish"),
        ]
    else:
        parts += ['<bpmn:endEvent id="finish"/>', flow("f2", "run_script", "finish")]
    return process(pid, "\n".join(parts))


def user_tasks_process(pid: str, count: int = 2) -> str:
    """start → task_1 → … → task_n → end, all for the case_handler group."""
    parts = ['<bpmn:startEvent id="begin"/>']
    prev = "begin"
    for i in range(1, count + 1):
        parts.append(f'<bpmn:userTask id="task_{i}" name="任务{i}" camunda:candidateGroups="case_handler"/>')
        parts.append(flow(f"f{i}", prev, f"task_{i}"))
        prev = f"task_{i}"
    parts += ['<bpmn:endEvent id="finish"/>', flow("f_end", prev, "finish")]
    return process(pid, "\n".join(parts))


def chain_process(pid: str, length: int) -> str:
    """A straight chain of `length` script tasks."""
    parts = ['<bpmn:startEvent id="begin"/>']
    prev = "begin"
    for i in range(length):
        parts.append(f'<bpmn:scriptTask id="s{i}"><bpmn:script>x = {i}</bpmn:script></bpmn:scriptTask>')
        parts.append(flow(f"f{i}", prev, f"s{i}"))
        prev = f"s{i}"
    parts += ['<bpmn:endEvent id="finish"/>', flow("f_end", prev, "finish")]
    return process(pid, "\n".join(parts))


def loop_process(pid: str, passes: int) -> str:
    """A gateway loop that runs a script `passes` times, then a user task."""
    return process(
        pid,
        "\n".join(
            [
                '<bpmn:startEvent id="begin"/>',
                '<bpmn:scriptTask id="init"><bpmn:script>n = 0</bpmn:script></bpmn:scriptTask>',
                '<bpmn:exclusiveGateway id="join"/>',
                '<bpmn:scriptTask id="bump"><bpmn:script>n = n + 1</bpmn:script></bpmn:scriptTask>',
                '<bpmn:exclusiveGateway id="more" default="f_again"/>',
                '<bpmn:userTask id="after_loop" camunda:candidateGroups="case_handler"/>',
                '<bpmn:endEvent id="finish"/>',
                flow("f1", "begin", "init"),
                flow("f2", "init", "join"),
                flow("f3", "join", "bump"),
                flow("f4", "bump", "more"),
                flow("f_done", "more", "after_loop", f"n &gt;= {passes}"),
                flow("f_again", "more", "join"),
                flow("f5", "after_loop", "finish"),
            ]
        ),
    )


def timer_process(pid: str, timer_xml: str) -> str:
    """start → intermediate timer catch → user task → end."""
    return process(
        pid,
        "\n".join(
            [
                '<bpmn:startEvent id="begin"/>',
                f'<bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition>{timer_xml}'
                "</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
                '<bpmn:userTask id="after_wait" camunda:candidateGroups="case_handler"/>',
                '<bpmn:endEvent id="finish"/>',
                flow("f1", "begin", "wait"),
                flow("f2", "wait", "after_wait"),
                flow("f3", "after_wait", "finish"),
            ]
        ),
    )


def user_loop_process(pid: str) -> str:
    """A person's task repeated until someone answers `done`: the long-running case's shape."""
    return process(
        pid,
        "\n".join(
            [
                '<bpmn:startEvent id="begin"/>',
                '<bpmn:exclusiveGateway id="join"/>',
                '<bpmn:userTask id="again" camunda:candidateGroups="case_handler"/>',
                '<bpmn:exclusiveGateway id="more" default="f_again"/>',
                '<bpmn:endEvent id="finish"/>',
                flow("f1", "begin", "join"),
                flow("f2", "join", "again"),
                flow("f3", "again", "more"),
                flow("f_done", "more", "finish", "done"),
                flow("f_again", "more", "join"),
            ]
        ),
    )


def review_loop_process(pid: str) -> str:
    """A loop through a parallel split and join and a task with an interrupting boundary timer.

    join → split → (check_a, check_b) → merge → decide [1 hour: escalated] → more
    (`done` → finish, else back to join).
    """
    return process(
        pid,
        "\n".join(
            [
                '<bpmn:startEvent id="begin"/>',
                '<bpmn:exclusiveGateway id="join"/>',
                '<bpmn:parallelGateway id="split"/>',
                '<bpmn:userTask id="check_a" camunda:candidateGroups="case_handler"/>',
                '<bpmn:userTask id="check_b" camunda:candidateGroups="case_handler"/>',
                '<bpmn:parallelGateway id="merge"/>',
                '<bpmn:userTask id="decide" camunda:candidateGroups="case_handler"/>',
                '<bpmn:boundaryEvent id="late" attachedToRef="decide"><bpmn:timerEventDefinition>'
                '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>',
                '<bpmn:userTask id="escalated" camunda:candidateGroups="case_leader"/>',
                '<bpmn:exclusiveGateway id="more" default="f_again"/>',
                '<bpmn:endEvent id="finish"/>',
                '<bpmn:endEvent id="finish_escalated"/>',
                flow("f1", "begin", "join"),
                flow("f2", "join", "split"),
                flow("f3", "split", "check_a"),
                flow("f4", "split", "check_b"),
                flow("f5", "check_a", "merge"),
                flow("f6", "check_b", "merge"),
                flow("f7", "merge", "decide"),
                flow("f8", "decide", "more"),
                flow("f_done", "more", "finish", "done"),
                flow("f_again", "more", "join"),
                flow("f_late", "late", "escalated"),
                flow("f_esc", "escalated", "finish_escalated"),
            ]
        ),
    )
