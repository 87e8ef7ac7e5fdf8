"""The engine's domain states: instance statuses, human-task states and history event types.

Each is a `StrEnum`, so a member is stored, hashed and sent as JSON as its plain value.
"""

from __future__ import annotations

from enum import StrEnum


class InstanceStatus(StrEnum):
    """Where a process instance (a case, a campaign) stands.

    - RUNNING: at least one human task is ready; people have work to do.
    - WAITING: no human task is ready; the instance waits for a timer, a signal or a message.
    - COMPLETED: an end event was reached; nothing more will happen.
    - CANCELLED: a coordinator stopped the instance for good; its tasks were cancelled.
    - ERROR: a script, condition or guard failed (an incident); it waits to be retried or cancelled.
    - SUSPENDED: a coordinator paused the instance: no task can be completed and no timer fires until resumed.
    """

    RUNNING = "running"
    WAITING = "waiting"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    ERROR = "error"
    SUSPENDED = "suspended"

    @property
    def is_active(self) -> bool:
        """True while tasks of the instance may still be completed."""
        return self in (InstanceStatus.RUNNING, InstanceStatus.WAITING)

    @property
    def is_ended(self) -> bool:
        """True once the instance can never run again."""
        return self in (InstanceStatus.COMPLETED, InstanceStatus.CANCELLED)


class TaskState(StrEnum):
    """Where a human task (a row of the task index, not a SpiffWorkflow task) stands.

    - READY: offered to its assignee or candidate groups, waiting for someone to complete it.
    - COMPLETED: someone completed it; `completed_by` and `completed_at` say who and when.
    - CANCELLED: the path moved on without it (a boundary event, a cancelled case).
    """

    READY = "ready"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EventType(StrEnum):
    """What one history event records. Names are `<noun>_<past participle>`.

    - INSTANCE_STARTED: the instance was started, with its first data.
    - INSTANCE_COMPLETED: an end event was reached and the instance ended.
    - INSTANCE_CANCELLED: someone cancelled the instance, with a reason.
    - INSTANCE_RETRIED: someone ran an instance in error again from where it failed.
    - INSTANCE_SUSPENDED: a coordinator paused the instance, with a reason.
    - INSTANCE_RESUMED: a coordinator let a paused instance go on where it was.
    - INCIDENT_RAISED: a script, condition or guard failed; the instance went to error.
    - TASK_READY: a human task was opened and offered.
    - TASK_CLAIMED: someone took a ready task for themselves.
    - TASK_UNCLAIMED: the holder gave a task back to its groups.
    - TASK_ASSIGNED: a coordinator gave a task to someone.
    - TASK_COMPLETED: someone completed a human task, with the data they entered.
    - TASK_CANCELLED: a human task was withdrawn without being completed.
    - TASK_DUE_CHANGED: an open task's due date moved because the data it reads changed.
    - TIMER_WAITING: a timer was set; its detail says when it comes due.
    - TIMER_FIRED: a timer came due and fired; its detail says when it was due and fired.
    - ELEMENT_STARTED: an engine element (a sub-process, a call) started.
    - ELEMENT_WAITING: an engine element waits for something other than a timer (a signal).
    - ELEMENT_COMPLETED: an engine element (script, gateway, event) completed.
    - ELEMENT_CANCELLED: an engine element was withdrawn (an interrupting boundary event).
    - EVENT_UNHANDLED: a signal or message was thrown that nothing in the instance waited for.
    - ATTACHMENT_ADDED: someone attached a file to the case (name, size, sha256, form field).
    - EXTERNAL_TASK_LOCKED: a worker fetched a service task and holds it until the time in the detail.
    - EXTERNAL_TASK_LOCK_EXTENDED: the worker holding a service task asked for more time.
    - EXTERNAL_TASK_COMPLETED: the worker holding a service task reported it done, with its output.
    - EXTERNAL_TASK_FAILED: the worker holding a service task reported a failure and the retries left.
    - MESSAGE_CORRELATED: a message from outside was delivered to the element waiting for it, with its data.
    - INSTANCE_MIGRATED: someone moved the instance to another version; its detail says from and to.
    - INSTANCE_IMPORTED: the case was registered from a file (a ledger import): its detail names the
      file's sha256 and the row; the task it was started past is completed right after.
    - CAMPAIGN_JOINED: a coordinator put the case in a campaign (专项行动); its change is the campaign_id.
    """

    INSTANCE_STARTED = "instance_started"
    INSTANCE_COMPLETED = "instance_completed"
    INSTANCE_CANCELLED = "instance_cancelled"
    INSTANCE_RETRIED = "instance_retried"
    INSTANCE_SUSPENDED = "instance_suspended"
    INSTANCE_RESUMED = "instance_resumed"
    INCIDENT_RAISED = "incident_raised"
    TASK_READY = "task_ready"
    TASK_CLAIMED = "task_claimed"
    TASK_UNCLAIMED = "task_unclaimed"
    TASK_ASSIGNED = "task_assigned"
    TASK_COMPLETED = "task_completed"
    TASK_CANCELLED = "task_cancelled"
    TASK_DUE_CHANGED = "task_due_changed"
    TIMER_WAITING = "timer_waiting"
    TIMER_FIRED = "timer_fired"
    ELEMENT_STARTED = "element_started"
    ELEMENT_WAITING = "element_waiting"
    ELEMENT_COMPLETED = "element_completed"
    ELEMENT_CANCELLED = "element_cancelled"
    EVENT_UNHANDLED = "event_unhandled"
    ATTACHMENT_ADDED = "attachment_added"
    EXTERNAL_TASK_LOCKED = "external_task_locked"
    EXTERNAL_TASK_LOCK_EXTENDED = "external_task_lock_extended"
    EXTERNAL_TASK_COMPLETED = "external_task_completed"
    EXTERNAL_TASK_FAILED = "external_task_failed"
    MESSAGE_CORRELATED = "message_correlated"
    INSTANCE_MIGRATED = "instance_migrated"
    INSTANCE_IMPORTED = "instance_imported"
    CAMPAIGN_JOINED = "campaign_joined"

    @classmethod
    def from_stored(cls, stored: str) -> EventType | str:
        """The type of a stored event, under today's names.

        Events are never rewritten (each is hashed as it was written), so names from before
        the naming scheme are upgraded when read (`LEGACY_EVENT_TYPES`). A name this version
        does not know is handed back unchanged rather than refused.
        """
        stored = LEGACY_EVENT_TYPES.get(stored, stored)
        try:
            return cls(stored)
        except ValueError:
            return stored


class MigrationObstacle(StrEnum):
    """Why an instance cannot move to another version of its process.

    - SAME_VERSION: the instance is on that version already.
    - ENDED: the instance is completed or cancelled; there is nothing left to move.
    - INCIDENT: the instance is in error; retry or cancel it first.
    - ELEMENT_CHANGED: an element the instance is at or waits in was changed in the new version.
    - ELEMENT_REMOVED: an element the instance has reached is not in the new version.
    - SUBPROCESS_REMOVED: a sub-process or call the instance is inside is not in the new version.
    """

    SAME_VERSION = "same_version"
    ENDED = "ended"
    INCIDENT = "incident"
    ELEMENT_CHANGED = "element_changed"
    ELEMENT_REMOVED = "element_removed"
    SUBPROCESS_REMOVED = "subprocess_removed"


#: Event names written before history format 2 (2026-12), and what they are called now.
#: The upgrade is applied when events are read; the rows keep what was hashed.
LEGACY_EVENT_TYPES: dict[str, str] = {
    "cancelled": EventType.INSTANCE_CANCELLED.value,
    "retried": EventType.INSTANCE_RETRIED.value,
    "error": EventType.INCIDENT_RAISED.value,
}

#: The actor of what the engine does by itself (timers, scripts, gateways).
SYSTEM_ACTOR = "engine"
