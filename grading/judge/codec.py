"""Records from the sandbox, decoded strictly: a record is data, never code.

The format is the recorder's (``grading.sandbox.recorder``). Nothing is unpickled or evaluated;
arrays must be numeric (bool, int, unsigned, float), shapes must match the bytes, nesting and
sizes are bounded. Anything else is a ``BadRecord`` with a message a student can act on.
"""
from __future__ import annotations

import base64
import binascii
import json
import math

import numpy as np

from grading.sandbox.recorder import MAX_ELEMENTS, MAX_TEXT, encode

MAX_DEPTH = 20
MAX_RECORD_CHARS = 200_000_000


class BadRecord(ValueError):
    """A record that is missing, malformed or too large."""


def encode_request(args: tuple, kwargs: dict) -> str:
    """The grader's inputs of one call, as the recorder decodes them."""
    return json.dumps(encode({"args": list(args), "kwargs": kwargs}, functions=True), allow_nan=True)


def parse(text: str | None) -> dict:
    """The record's JSON object (not yet decoded)."""
    if text is None:
        raise BadRecord("no result came back from your notebook for this call "
                        "(did a cell change how the notebook runs?)")
    if len(text) > MAX_RECORD_CHARS:
        raise BadRecord("the result is too large to grade")
    try:
        record = json.loads(text)
    except (ValueError, RecursionError):
        raise BadRecord("the result came back malformed") from None
    if not isinstance(record, dict):
        raise BadRecord("the result came back malformed")
    return record


def decode(data, depth: int = 0, budget: list | None = None):
    """A value of the recorder's format, checked at every step."""
    budget = budget if budget is not None else [MAX_ELEMENTS]
    if depth > MAX_DEPTH:
        raise BadRecord("the result is nested too deeply")
    if data is None or isinstance(data, (bool, int)):
        return data
    if isinstance(data, float):
        return data
    if isinstance(data, str):
        return data[:MAX_TEXT]
    if isinstance(data, list):
        _spend(budget, len(data))
        return [decode(x, depth + 1, budget) for x in data]
    if not isinstance(data, dict) or len(data) != 1:
        raise BadRecord("the result came back malformed")
    (tag, value), = data.items()
    if tag == "$nd":
        return _array(value, budget)
    if tag == "$tuple" and isinstance(value, list):
        _spend(budget, len(value))
        return tuple(decode(x, depth + 1, budget) for x in value)
    if tag == "$dict" and isinstance(value, list):
        _spend(budget, len(value))
        out = {}
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                raise BadRecord("the result came back malformed")
            key = decode(pair[0], depth + 1, budget)
            if not isinstance(key, (str, int, float, bool, type(None))):
                raise BadRecord("a dict in the result has a key that is not a str or a number")
            out[key] = decode(pair[1], depth + 1, budget)
        return out
    raise BadRecord("the result holds a value of a kind that cannot be graded")


def _spend(budget: list, n: int) -> None:
    budget[0] -= n
    if budget[0] < 0:
        raise BadRecord(f"the result holds more than {MAX_ELEMENTS:,} numbers")


def _array(value, budget: list) -> np.ndarray:
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], list) and isinstance(value[2], str)):
        raise BadRecord("an array in the result came back malformed")
    dtype_str, shape, b64 = value
    try:
        dtype = np.dtype(dtype_str)
    except (TypeError, ValueError):
        raise BadRecord("an array in the result has an unknown dtype") from None
    if dtype.kind not in "biuf" or dtype.itemsize > 16 or dtype.fields is not None or dtype.subdtype:
        raise BadRecord(f"an array in the result has dtype {dtype}, not a number type")
    if len(shape) > 32 or not all(isinstance(n, int) and not isinstance(n, bool) and 0 <= n for n in shape):
        raise BadRecord("an array in the result has an invalid shape")
    size = math.prod(shape)
    _spend(budget, size)
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise BadRecord("an array in the result came back malformed") from None
    if len(raw) != size * dtype.itemsize:
        raise BadRecord("an array in the result does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def decode_rng_state(data) -> dict:
    """A generator's state sent back: only the fields numpy's bit generators use."""
    if not (isinstance(data, dict) and set(data) == {"$rng"} and isinstance(data["$rng"], list)
            and len(data["$rng"]) == 2 and isinstance(data["$rng"][1], dict)):
        raise BadRecord("a random generator came back malformed")
    return data["$rng"][1]
