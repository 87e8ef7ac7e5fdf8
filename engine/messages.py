"""Messages from outside: deliver one to the one receiver waiting for it, exactly once.

A receiver is a waiting receive task, message catch event, message boundary event, event-based
gateway or event sub-process of a running instance, or the message start event of a deployed
process (which starts a new instance). The caller narrows the receivers by business key and by
correlation keys, which are compared with the instance's case data. No receiver, or more than
one, refuses the message with `MessageNotCorrelated` and nothing changes.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import history as hist
from .clock import Clock
from .data import validate_data
from .errors import MessageNotCorrelated
from .models import Deployment, Instance
from .rows import instance_view
from .states import EventType, InstanceStatus
from .transactions import Transactions
from .views import InstanceView

if TYPE_CHECKING:
    from .instances import Instances


def catches(elements: dict[str, Any], name: str) -> bool:
    """True when some element of a deployment waits for message `name`."""
    return any(meta.get("message") == name for meta in elements.values())


def _definitions(task: Task, name: str) -> list[MessageEventDefinition]:
    definition = getattr(task.task_spec, "event_definition", None)
    found = definition.event_definitions if isinstance(definition, MultipleEventDefinition) else [definition]
    return [d for d in found if isinstance(d, MessageEventDefinition) and d.name == name]


def waiting_receivers(workflow: BpmnWorkflow, name: str) -> list[tuple[Task, MessageEventDefinition]]:
    """The waiting tasks of a workflow that catch message `name`, with their definition."""
    return [(t, d) for t in list(workflow.event_manager.tasks.values()) for d in _definitions(t, name)[:1]]


def deliver(workflow: BpmnWorkflow, task: Task, definition: MessageEventDefinition, data: dict[str, Any]) -> None:
    """Hand the message to its receiver: its data joins the case data from the receiving element on."""
    task.data.update(data)
    # Camunda's message definition keeps its payload under a result variable; ours is already in
    # the task's data, so it gets nothing more (a private key the case data leaves out).
    payload: Any = {"payload": None, "result_var": "_message"} if hasattr(definition, "result_var") else {}
    workflow.send_event(BpmnEvent(definition, payload=payload))


class Messages:
    """Correlate messages with waiting instances or message start events."""

    def __init__(self, tx: Transactions, instances: Instances, clock: Clock) -> None:
        self.tx = tx
        self.instances = instances
        self.clock = clock

    def correlate(self, message_name: str, *, business_key: str | None = None,
                  correlation: dict[str, Any] | None = None, data: dict[str, Any] | None = None,
                  actor: str) -> InstanceView:
        """Deliver a message to the one receiver waiting for it; MessageNotCorrelated otherwise."""
        payload = dict(validate_data(data, self.instances.settings.max_data_bytes))
        keys = dict(correlation or {})
        with self.tx.write() as s:
            matches = self._waiting(s, message_name, business_key, keys)
            starts = self._starters(s, message_name) if not matches else []
            total = len(matches) + len(starts)
            if total != 1:
                reason = "no instance or start event waits for it" if total == 0 else (
                    f"{total} receivers wait for it; give a business key or correlation keys that pick one")
                if business_key or keys:
                    reason += f" (business key {business_key!r}, correlation {keys})"
                raise MessageNotCorrelated(message_name, reason, total)
            if starts:
                return self.instances.start_in(s, starts[0], payload, actor=actor, business_key=business_key,
                                               message=message_name)
            inst, workflow, task, definition = matches[0]
            writer = hist.EventWriter(s, inst, self.clock())
            writer.append(EventType.MESSAGE_CORRELATED, actor, element_id=str(task.task_spec.bpmn_id),
                          task_id=str(task.id), detail={"message": message_name, "business_key": business_key,
                                                        "correlation": keys},
                          changes={k: [None, v] for k, v in payload.items()})
            run = self.instances.run(s, inst, workflow)
            delivered = run.operate(partial(deliver, workflow, task, definition, payload))
            self.instances.record(s, inst, run, delivered, writer, actor)
            return instance_view(s, inst)

    def _waiting(self, s: Session, name: str, business_key: str | None,
                 keys: dict[str, Any]) -> list[tuple[Instance, BpmnWorkflow, Task, MessageEventDefinition]]:
        q = select(Instance).where(Instance.status.in_([InstanceStatus.RUNNING, InstanceStatus.WAITING]))
        if business_key is not None:
            q = q.where(Instance.business_key == business_key)
        found: list[tuple[Instance, BpmnWorkflow, Task, MessageEventDefinition]] = []
        for inst in s.scalars(q.order_by(Instance.id)):
            if not catches(self.instances.deployments.elements(s, inst.deployment_id), name):
                continue
            data = inst.data or {}
            if any(data.get(k) != v for k, v in keys.items()):
                continue
            locked = self.tx.instance(s, inst.id, lock=True)
            workflow = self.instances.load(s, locked)
            found.extend((locked, workflow, t, d) for t, d in waiting_receivers(workflow, name))
        return found

    def _starters(self, s: Session, name: str) -> list[Deployment]:
        """Newest versions of processes whose start event waits for message `name`."""
        newest = select(Deployment.process_key, func.max(Deployment.version)).where(
            Deployment.kind == "bpmn").group_by(Deployment.process_key)
        found = []
        for key, version in s.execute(newest).all():
            dep = s.scalars(select(Deployment).where(Deployment.process_key == key,
                                                     Deployment.version == version)).one()
            if any(m.get("message") == name and m.get("message_start") for m in (dep.elements or {}).values()):
                found.append(dep)
        return found
