"""Restricted, bounded evaluation of diagram scripts and expressions.

SpiffWorkflow's default environment calls plain `eval`/`exec`. Here every script and
expression is compiled by RestrictedPython (no imports, no dunder attributes, no
exec/eval/compile, no `str.format`), and bounded: loops tick a deadline, and the
operators that can build huge values in one C call (`*`, `**`, `<<`, padding methods,
`range`) refuse results past a size limit. Anything a script raises, `SystemExit`
included, comes back as an ordinary `ScriptFailed` so the engine records an incident.
"""

from __future__ import annotations

import ast
import math
import operator
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache
from types import CodeType, MappingProxyType
from typing import Any

from RestrictedPython import (  # type: ignore[attr-defined]
    RestrictingNodeTransformer,
    compile_restricted_eval,
    compile_restricted_exec,
    limited_builtins,
    safe_builtins,
    utility_builtins,
)
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from . import workdays
from .clock import current_now

MAX_SEQUENCE = 5_000_000  # characters or items one operation may build
MAX_INT_BITS = 100_000

_deadline: ContextVar[float] = ContextVar("script_deadline", default=math.inf)
_ticks: ContextVar[list[int]] = ContextVar("script_ticks")
# The case data as recorded so far (every branch's completions merged), set by a run around its
# work: parallel branches each carry their own copy of the task data, so a branch that waits
# (a deadline timer) reads what another branch changed (an approved extension) through case_value.
_case_data: ContextVar[Mapping[str, Any]] = ContextVar("anjie_case_data", default=MappingProxyType({}))


# The typed defaults of every form field of the running process (docs/forms.md): an expression
# that reads a field no one has filled yet (a later task's optional box) sees its default,
# never a NameError that would stop the case.
_form_defaults: ContextVar[Mapping[str, Any]] = ContextVar("anjie_form_defaults", default=MappingProxyType({}))


@contextmanager
def using_case_data(data: Mapping[str, Any], form_defaults: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Make `data` the case data that `case_value` reads inside the block, and `form_defaults`
    what expressions read for form fields the data does not hold yet."""
    token = _case_data.set(data)
    defaults = _form_defaults.set(MappingProxyType(dict(form_defaults or {})))
    try:
        yield
    finally:
        _form_defaults.reset(defaults)
        _case_data.reset(token)


class ScriptFailed(Exception):
    """A script or expression failed; the message says why (limit, error, forbidden)."""


class ScriptLimitExceeded(ScriptFailed):
    """A script ran past its time limit or tried to build a value past the size limit."""


def _tick() -> None:
    box = _ticks.get(None)
    if box is None:
        return
    box[0] += 1
    if time.monotonic() > _deadline.get():
        raise ScriptLimitExceeded("script ran past its time limit (endless loop?)")


class _TickingIter:
    def __init__(self, it: Iterator[Any]) -> None:
        self._it = it

    def __iter__(self) -> _TickingIter:
        return self

    def __next__(self) -> Any:
        _tick()
        return next(self._it)


def _getiter(ob: Iterable[Any]) -> Iterator[Any]:
    return _TickingIter(iter(ob))


def _size(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _check_int(value: Any) -> None:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ScriptLimitExceeded("integer too large")


def _mult(a: Any, b: Any) -> Any:
    for seq, n in ((a, b), (b, a)):
        size = _size(seq)
        if size is not None and isinstance(n, int) and size * n > MAX_SEQUENCE:
            raise ScriptLimitExceeded(f"value too large: {size} × {n} items")
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ScriptLimitExceeded("integer too large")
    return a * b


def _add(a: Any, b: Any) -> Any:
    sa, sb = _size(a), _size(b)
    if sa is not None and sb is not None and sa + sb > MAX_SEQUENCE:
        raise ScriptLimitExceeded(f"value too large: {sa + sb} items")
    return a + b


def _pow(a: Any, b: Any, mod: Any = None) -> Any:
    if mod is None and isinstance(a, int) and isinstance(b, int) and abs(a) > 1 and b > 0:
        if a.bit_length() * b > MAX_INT_BITS:
            raise ScriptLimitExceeded("integer too large")
    return pow(a, b) if mod is None else pow(a, b, mod)


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and b > MAX_INT_BITS:
        raise ScriptLimitExceeded("integer too large")
    return a << b


_BINOPS: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("_add_", _add),
    ast.Mult: ("_mult_", _mult),
    ast.Pow: ("_pow_", _pow),
    ast.LShift: ("_lshift_", _lshift),
}
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": _add,
    "-=": operator.sub,
    "*=": _mult,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": _pow,
    "<<=": _lshift,
    ">>=": operator.rshift,
    "|=": operator.or_,
    "&=": operator.and_,
    "^=": operator.xor,
}


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    fn = _INPLACE.get(op)
    if fn is None:
        raise ScriptFailed(f"operator {op} is not allowed")
    result = fn(x, y)
    size = _size(result)
    if size is not None and size > MAX_SEQUENCE:
        raise ScriptLimitExceeded("value too large")
    return result


class _BoundedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus loop ticks and size-guarded operators."""

    def visit_Import(self, node: ast.Import) -> Any:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> Any:
        self.error(node, "import is not allowed in scripts")
        return node

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        tick = ast.Expr(value=ast.Call(func=ast.Name("_tick_", ast.Load()), args=[], keywords=[]))
        ast.copy_location(tick, node)
        ast.fix_missing_locations(tick)
        node.body.insert(0, tick)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _BINOPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard[0], ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


_PADDING = {"ljust", "rjust", "center", "zfill"}


def _getattr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, str | bytes):
        if name == "expandtabs":
            raise ScriptFailed("str.expandtabs is not allowed")
        if name in _PADDING:
            method = getattr(obj, name)

            def padded(width: int, *args: Any) -> Any:
                if width > MAX_SEQUENCE:
                    raise ScriptLimitExceeded("value too large")
                return method(width, *args)

            return padded
        if name == "replace":
            method = getattr(obj, name)

            def replace(old: Any, new: Any, count: int = -1) -> Any:
                grow = max(len(new) - len(old), 0) * (len(obj) + 1)
                if len(obj) + grow > MAX_SEQUENCE:
                    raise ScriptLimitExceeded("value too large")
                return method(old, new, count)

            return replace
    return safer_getattr(obj, name, default)  # type: ignore[no-untyped-call]


def _range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_SEQUENCE:
        raise ScriptLimitExceeded("range too large")
    return r


def _now() -> str:
    return current_now.get()().isoformat()


def parse_datetime(value: str | datetime | date) -> datetime:
    """An aware datetime from an ISO string (a date alone means midnight UTC)."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def add_days(start: str | datetime | date, days: float) -> str:
    """The ISO datetime `days` calendar days after `start`."""
    return (parse_datetime(start) + timedelta(days=days)).isoformat()


def next_day_of_month(after: str | datetime | date, day: int) -> str:
    """The ISO date of the first day-of-month `day` strictly after `after` (e.g. the 20th)."""
    return workdays.next_day_of_month(parse_datetime(after).date(), day).isoformat()


def _on_beijing_day(moment: datetime, day: date) -> str:
    """`moment` moved to Beijing date `day` at the same Beijing time, in `moment`'s own zone."""
    local = moment.astimezone(workdays.BEIJING)
    moved = datetime.combine(day, local.time(), tzinfo=workdays.BEIJING)
    return moved.astimezone(moment.tzinfo).isoformat()


def add_working_days(start: str | datetime | date, days: int) -> str:
    """The ISO datetime `days` working days after `start`, counted on the Beijing date of `start`
    (07:00 and 09:00 Beijing time on one Monday give the same day) and the China calendar."""
    begin = parse_datetime(start)
    end = workdays.add_working_days(begin.astimezone(workdays.BEIJING).date(), days)
    return _on_beijing_day(begin, end)


def case_value(name: str, default: Any = None) -> Any:
    """The case's recorded value of `name` (all branches merged), or `default`."""
    return _case_data.get().get(name, default)


def latest(*moments: str | datetime | date | None) -> str:
    """The latest of the given moments (None left out), as an ISO datetime: a deadline that
    only ever moves later, read from a branch's own copy and from the case (`case_value`)."""
    parsed = [parse_datetime(m) for m in moments if m is not None]
    if not parsed:
        raise ValueError("latest() needs at least one moment")
    return max(parsed).isoformat()


def next_working_day(value: str | datetime | date) -> str:
    """`value` unchanged when its Beijing date is a working day, else the same time on the next
    working day: a deadline that falls on a rest day moves to the next working day."""
    moment = parse_datetime(value)
    day = workdays.next_working_day(moment.astimezone(workdays.BEIJING).date())
    return _on_beijing_day(moment, day)


def _base_globals() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(limited_builtins)
    builtins.update(utility_builtins)
    for name in ("__build_class__", "setattr", "delattr", "compile", "eval", "exec", "open"):
        builtins.pop(name, None)
    for name in ("string", "random", "whrandom", "set", "frozenset"):
        builtins.pop(name, None)
    builtins.update(
        range=_range,
        pow=_pow,
        min=min,
        max=max,
        sum=sum,
        any=any,
        all=all,
        sorted=sorted,
        enumerate=enumerate,
        zip=zip,
        dict=dict,
        list=list,
        set=set,
        map=map,
        filter=filter,
        reversed=reversed,
    )
    return {
        "__builtins__": builtins,
        "__name__": "script",
        "__metaclass__": type,
        "_getattr_": _getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": _getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": _inplacevar,
        "_tick_": _tick,
        "_add_": _add,
        "_mult_": _mult,
        "_pow_": _pow,
        "_lshift_": _lshift,
    }


HELPERS: dict[str, Any] = {
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "timezone": timezone,
    "now": _now,
    "parse_datetime": parse_datetime,
    "add_days": add_days,
    "add_working_days": add_working_days,
    "next_working_day": next_working_day,
    "case_value": case_value,
    "latest": latest,
    "next_day_of_month": next_day_of_month,
}
_GLOBALS = _base_globals()
_GLOBALS.update(HELPERS)
RESERVED = frozenset(_GLOBALS)


@lru_cache(maxsize=2048)
def compile_expression(source: str) -> CodeType:
    """Compile an expression under the restricted policy, or raise ScriptFailed."""
    result = compile_restricted_eval(source.strip(), "<expression>", policy=_BoundedPolicy)
    if result.errors or result.code is None:
        raise ScriptFailed("; ".join(result.errors) or f"cannot compile {source!r}")
    return result.code


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Compile a script under the restricted policy, or raise ScriptFailed."""
    result = compile_restricted_exec(source, "<script>", policy=_BoundedPolicy)
    if result.errors or result.code is None:
        raise ScriptFailed("; ".join(result.errors) or "cannot compile script")
    return result.code


class _Bounded:
    """Arms the deadline and tick counter for one evaluation."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __enter__(self) -> None:
        self._d = _deadline.set(time.monotonic() + self.seconds)
        self._t = _ticks.set([0])

    def __exit__(self, *exc: object) -> None:
        _deadline.reset(self._d)
        _ticks.reset(self._t)


def _run(code: CodeType, namespace: dict[str, Any], seconds: float, mode: str) -> Any:
    try:
        with _Bounded(seconds):
            if mode == "eval":
                return eval(code, namespace)  # restricted bytecode only
            exec(code, namespace)  # restricted bytecode only
            return None
    except ScriptFailed:
        raise
    except KeyboardInterrupt:
        raise
    except MemoryError as exc:
        raise ScriptLimitExceeded("script ran out of memory") from exc
    except RecursionError as exc:
        raise ScriptLimitExceeded("script recursed too deeply") from exc
    except BaseException as exc:  # SystemExit and friends become ordinary failures
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise ScriptFailed(detail) from exc


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):  # type: ignore[misc]
    """A SpiffWorkflow script environment that runs only restricted, bounded code."""

    def __init__(self, timeout_seconds: float = 2.0) -> None:
        super().__init__(dict(_GLOBALS))
        self.timeout_seconds = timeout_seconds

    def evaluate(
        self, expression: str | None, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> Any:
        if expression is None:
            # A Camunda message thrown without a payload expression carries no payload.
            return None
        namespace = dict(_GLOBALS)
        namespace.update({k: v for k, v in _form_defaults.get().items() if k not in RESERVED and k not in _GLOBALS})
        namespace.update(external_context or {})
        namespace.update({k: v for k, v in context.items() if k not in RESERVED})
        return _run(compile_expression(expression), namespace, self.timeout_seconds, "eval")

    def execute(
        self, script: str, context: dict[str, Any], external_context: dict[str, Any] | None = None
    ) -> bool:
        clash = RESERVED.intersection(context)
        if clash:
            raise ScriptFailed(f"task data uses reserved names {sorted(clash)}; rename them")
        namespace = dict(_GLOBALS)
        namespace.update(external_context or {})
        namespace.update(context)
        _run(compile_script(script), namespace, self.timeout_seconds, "exec")
        skip = set(_GLOBALS) | set(external_context or {})
        for key in list(context):
            if key not in namespace:
                del context[key]
        for key, value in namespace.items():
            if key in skip or key.startswith("_") or callable(value):
                continue
            # Task data stays JSON: dates written by a script are kept as ISO strings.
            context[key] = value.isoformat() if isinstance(value, date) else value
        return True

    def call_service(self, context: dict[str, Any], **kwargs: Any) -> Any:
        raise ScriptFailed("service tasks are not supported")


def script_engine(timeout_seconds: float = 2.0) -> PythonScriptEngine:
    """A SpiffWorkflow script engine backed by the restricted environment."""
    return PythonScriptEngine(environment=RestrictedEnvironment(timeout_seconds))
