"""The recorder: the only course code inside the sandbox. Sent into the student's kernel as text.

The grader runs each test cell in its own process; when a test calls a student's function, the
grader sends ``__course_recorder__.call(name, payload)`` to the kernel. The recorder decodes the
grader's inputs, calls the function the student defined, and publishes one *record*: what came
back (or what was raised), and the inputs as they are after the call (a function may modify an
array in place, or draw from a generator). A record is plain data in the format below; the
grader decodes it strictly and compares it with lib outside. The student's code can rewrite
anything here: all it gains is a record of its own making, which is only data.

The data format (JSON; the same functions encode the grader's inputs):
``None``/bool/int/float/str as themselves; ``{"$nd": [dtype, shape, base64]}`` for numpy arrays
and scalars; ``{"$tuple": [...]}``, lists as lists, ``{"$dict": [[key, value], ...]}``;
``{"$rng": [bit generator, state]}`` for a ``numpy.random.Generator``; ``{"$fn": [name, code,
defaults]}`` for a function of the grader's (inputs only: a marshalled code object).
"""
from __future__ import annotations

import base64
import builtins
import json
import marshal
import types

import numpy as np

MIME = "application/x-course-record+json"
MAX_ELEMENTS = 1_000_000  # beyond this a result is refused, not sent (the tasks need far fewer)
MAX_TEXT = 2_000


class Unencodable(TypeError):
    pass


def encode(obj, functions: bool = False, _budget: list | None = None):
    """``obj`` as JSON-able data (see the module's docstring)."""
    budget = _budget if _budget is not None else [MAX_ELEMENTS]
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)) and type(obj) in (int, float):
        return obj
    if isinstance(obj, (np.ndarray, np.generic)):
        arr = np.asarray(obj)
        if arr.dtype.kind not in "biuf":
            raise Unencodable(f"an array of dtype {arr.dtype}")
        budget[0] -= arr.size
        if budget[0] < 0:
            raise Unencodable(f"more than {MAX_ELEMENTS} numbers")
        data = np.ascontiguousarray(arr).tobytes()
        return {"$nd": [arr.dtype.str, list(arr.shape), base64.b64encode(data).decode("ascii")]}
    if isinstance(obj, tuple):
        return {"$tuple": [encode(x, functions, budget) for x in obj]}
    if isinstance(obj, list):
        return [encode(x, functions, budget) for x in obj]
    if isinstance(obj, dict):
        return {"$dict": [[encode(k, functions, budget), encode(v, functions, budget)] for k, v in obj.items()]}
    if isinstance(obj, np.random.Generator):
        bg = obj.bit_generator
        return {"$rng": [type(bg).__name__, bg.state]}
    if functions and isinstance(obj, types.FunctionType):
        defaults = [encode(d, functions, budget) for d in (obj.__defaults__ or ())]
        code = base64.b64encode(marshal.dumps(obj.__code__)).decode("ascii")
        return {"$fn": [obj.__name__, code, defaults]}
    if hasattr(obj, "__next__") and hasattr(obj, "__iter__"):  # a generator or iterator: its items
        items = []
        for x in obj:
            items.append(encode(x, functions, budget))
            budget[0] -= 1
            if budget[0] < 0:
                raise Unencodable(f"more than {MAX_ELEMENTS} items")
        return items
    raise Unencodable(f"an object of type {type(obj).__name__}")


def decode(data):
    """The inverse of ``encode``, for the grader's inputs (inside the sandbox)."""
    if isinstance(data, list):
        return [decode(x) for x in data]
    if not isinstance(data, dict):
        return data
    (tag, value), = data.items()
    if tag == "$nd":
        dtype, shape, b64 = value
        return np.frombuffer(base64.b64decode(b64), dtype=np.dtype(dtype)).reshape(shape).copy()
    if tag == "$tuple":
        return tuple(decode(x) for x in value)
    if tag == "$dict":
        return {decode(k): decode(v) for k, v in value}
    if tag == "$rng":
        bit_generator = getattr(np.random, value[0])()
        bit_generator.state = value[1]
        return np.random.Generator(bit_generator)
    if tag == "$fn":
        name, code, defaults = value
        fn = types.FunctionType(marshal.loads(base64.b64decode(code)),
                                {"np": np, "__builtins__": builtins}, name)
        fn.__defaults__ = tuple(decode(d) for d in defaults) or None
        return fn
    raise ValueError(f"unknown tag {tag!r}")


def _mutable(x) -> bool:
    return isinstance(x, (np.ndarray, dict, list, np.random.Generator))


def _builtin_base(exc: BaseException) -> str:
    for cls in type(exc).__mro__:
        if getattr(builtins, cls.__name__, None) is cls:
            return cls.__name__
    return "Exception"


def call(namespace: dict, name: str, payload: str) -> dict:
    """Call ``namespace[name]`` on the decoded ``payload``; the record of what happened."""
    if name not in namespace:
        return {"missing": name}
    request = decode(json.loads(payload))
    args, kwargs = request["args"], request["kwargs"]
    record: dict = {}
    try:
        result = namespace[name](*args, **kwargs)
    except Exception as exc:  # the student's error is a result too; KeyboardInterrupt is not
        record["raised"] = [type(exc).__name__[:80], _builtin_base(exc), str(exc)[:MAX_TEXT]]
    else:
        try:
            record["result"] = encode(result)
        except Unencodable as exc:
            record["unencodable"] = str(exc)[:MAX_TEXT]
    try:
        record["after"] = {
            "args": [encode(a) if _mutable(a) else None for a in args],
            "kwargs": {k: encode(v) for k, v in kwargs.items() if _mutable(v)},
        }
    except Unencodable as exc:
        record["after_unencodable"] = str(exc)[:MAX_TEXT]
    return record


def publish(namespace: dict, name: str, payload: str) -> None:
    """``call`` and publish its record as display data of the ``MIME`` type."""
    from IPython.display import publish_display_data

    record = call(namespace, name, payload)
    publish_display_data({MIME: json.dumps(record, allow_nan=True)})


class OutputLimitExceeded(BaseException):
    """Raised into the student's code when a cell prints more than the limit (a BaseException,
    so that ``except Exception`` in the student's code does not swallow it)."""


def limit_output(shell, keep_bytes: int, stop_bytes: int) -> None:
    """Cap what one cell prints: the first ``keep_bytes`` reach the grader, the rest is dropped,
    and past ``stop_bytes`` the cell is stopped with ``OutputLimitExceeded``. An honest cell that
    prints too much so ends in one clear line instead of one enormous message. (IPython puts its
    own ``write`` on the streams for each cell, so the cap is put on top of it before each cell.)"""
    import sys

    count = [0]

    def cap(write):
        def capped(text, *args, **kwargs):
            size = len(text)
            before = count[0]
            count[0] += size
            if count[0] > stop_bytes:
                raise OutputLimitExceeded(f"this cell printed more than {stop_bytes:,} bytes")
            if before < keep_bytes:
                write(text[:keep_bytes - before], *args, **kwargs)
                if count[0] > keep_bytes:
                    write("\n[output limit: the rest of this cell's output was not kept]\n")
            return size
        return capped

    def before_each_cell():
        count[0] = 0
        for stream in (sys.stdout, sys.stderr):
            stream.write = cap(stream.write)

    shell.events.register("pre_execute", before_each_cell)
