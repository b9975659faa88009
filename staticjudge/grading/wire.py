"""Plain data over a pipe: what crosses between the tests' process and the learner's process.

Only plain data crosses, in both directions: ``None``, ``bool``, ``int``, ``float``, ``complex``,
``str``, NumPy arrays and scalars (raw bytes + dtype + shape, never pickle), and tuples, lists and
dicts of those. Anything else is refused by name (:class:`NotPlain`), and the receiving side
validates every field before it builds a value, so the tests' process never unpickles, imports
or calls anything the learner's code defined.

A message is ``[4-byte big-endian header length][JSON header][buffer 0][buffer 1]…`` (the
length and header as ``framing.py`` frames them); the header is ``{"op": str, …fields,
"buffers": [length, …]}``. A value inside it is JSON:
``null``/``true``/``1``/``1.5``/``"s"``/``[…]`` (a list) stand for themselves (``NaN`` and
``Infinity`` as Python's ``json`` writes them), and a one-key object tags the rest:
``{"t": […]}`` tuple, ``{"d": [[k, v], …]}`` dict, ``{"c": [re, im]}`` complex,
``{"a": [dtype, shape, buffer]}`` ndarray, ``{"s": [dtype, buffer]}`` NumPy scalar.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..runtime.shapes import type_name
from .framing import Framing

MAX_MESSAGE = 512 * 1024**2  # bytes: a larger result is refused, not read
MAX_DEPTH = 64               # nesting of lists, tuples and dicts
MAX_DIMS = 32
_DTYPE = re.compile(r"^[<>|=]?[biufcmMUS]\d{1,4}(\[[0-9a-zA-Z]{1,8}\])?$")


class NotPlain(TypeError):
    """A value that cannot cross: ``typename`` names its type, ``where`` says where it sat."""

    def __init__(self, typename: str, where: str = ""):
        super().__init__(f"{typename} at {where or 'the top'}")
        self.typename = typename
        self.where = where


class BadMessage(ValueError):
    """A message that is not what this module writes (malformed, oversized or inconsistent)."""


_FRAMING = Framing(">I", separators=(",", ":"), error=BadMessage)  # a 4-byte length, compact JSON


# ---------------------------------------------------------------------------------------------
# Encoding (either side)
# ---------------------------------------------------------------------------------------------
def _encode(value, buffers: list, depth: int, where: str):
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        return value
    if kind is float:
        return value
    if kind is complex:
        return {"c": [value.real, value.imag]}
    if depth > MAX_DEPTH:
        raise NotPlain("value nested too deeply", where)
    if isinstance(value, np.ndarray):
        dtype = np.ndarray.__dict__["dtype"].__get__(value)
        if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None \
                or not _DTYPE.match(dtype.str):
            raise NotPlain(f"array of dtype {dtype}", where)
        data = np.ascontiguousarray(np.asarray(value).view(np.ndarray))  # base class, C order
        buffers.append(data.tobytes())
        return {"a": [dtype.str, list(data.shape), len(buffers) - 1]}
    if isinstance(value, np.generic) and kind.__module__ == "numpy":
        dtype = np.dtype(kind)
        if dtype.hasobject or not _DTYPE.match(dtype.str):
            raise NotPlain(type_name(value), where)
        buffers.append(np.asarray(value).tobytes())
        return {"s": [dtype.str, len(buffers) - 1]}
    if kind is list:
        return [_encode(v, buffers, depth + 1, f"{where}[{i}]") for i, v in enumerate(value)]
    if kind is tuple:
        return {"t": [_encode(v, buffers, depth + 1, f"{where}[{i}]") for i, v in enumerate(value)]}
    if isinstance(value, dict) and (kind is dict or kind.__module__ == "staticjudge.runtime.harness"):
        return {"d": [[_encode(k, buffers, depth + 1, f"{where} (a key)"),
                       _encode(v, buffers, depth + 1, f"{where}[{k!r}]")]
                      for k, v in dict.items(value)]}
    raise NotPlain(type_name(value), where)


def encode(op: str, fields: dict | None = None, values: dict | None = None) -> bytes:
    """One message: ``fields`` are JSON as they are (trusted, made by this package); ``values``
    are encoded as plain data (raises :class:`NotPlain`)."""
    buffers: list[bytes] = []
    header = {"op": op, **(fields or {})}
    for key, value in (values or {}).items():
        header[key] = _encode(value, buffers, 0, "")
    header["buffers"] = [len(b) for b in buffers]
    return b"".join([_FRAMING.pack(header), *buffers])


# ---------------------------------------------------------------------------------------------
# Decoding (the receiving side checks everything)
# ---------------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, buffers: list[memoryview], copy: bool, make_dict):
        self.buffers = buffers
        self.copy = copy
        self.make_dict = make_dict

    def buffer(self, index):
        if type(index) is not int or not 0 <= index < len(self.buffers):
            raise BadMessage("bad buffer index")
        return self.buffers[index]

    @staticmethod
    def dtype(text):
        if type(text) is not str or not _DTYPE.match(text):
            raise BadMessage(f"refused dtype {text!r}")
        dtype = np.dtype(text)
        if dtype.hasobject or dtype.fields is not None or dtype.itemsize == 0:
            raise BadMessage(f"refused dtype {text!r}")
        return dtype

    def value(self, meta, depth=0):
        kind = type(meta)
        if meta is None or kind in (bool, int, float, str):
            return meta
        if depth > MAX_DEPTH:
            raise BadMessage("nested too deeply")
        if kind is list:
            return [self.value(v, depth + 1) for v in meta]
        if kind is not dict or len(meta) != 1:
            raise BadMessage("malformed value")
        (tag, body), = meta.items()
        if tag == "t" and type(body) is list:
            return tuple(self.value(v, depth + 1) for v in body)
        if tag == "d" and type(body) is list:
            items = {}
            for pair in body:
                if type(pair) is not list or len(pair) != 2:
                    raise BadMessage("malformed dict")
                key = self.value(pair[0], depth + 1)
                try:
                    hash(key)
                except TypeError:
                    raise BadMessage("unhashable dict key") from None
                items[key] = self.value(pair[1], depth + 1)
            return self.make_dict(items)
        if tag == "c" and type(body) is list and len(body) == 2 and all(type(x) in (int, float) for x in body):
            return complex(body[0], body[1])
        if tag == "a" and type(body) is list and len(body) == 3:
            dtype, shape, index = self.dtype(body[0]), body[1], body[2]
            if type(shape) is not list or len(shape) > MAX_DIMS or not all(type(n) is int and n >= 0 for n in shape):
                raise BadMessage("bad shape")
            data = self.buffer(index)
            if math.prod(shape) * dtype.itemsize != len(data):
                raise BadMessage("array size does not match its data")
            array = np.frombuffer(data, dtype=dtype).reshape(shape)
            return array.copy() if self.copy else array
        if tag == "s" and type(body) is list and len(body) == 2:
            dtype, data = self.dtype(body[0]), self.buffer(body[1])
            if len(data) != dtype.itemsize:
                raise BadMessage("scalar size does not match its data")
            return np.frombuffer(data, dtype=dtype)[0]
        raise BadMessage("malformed value")


def decode(message: bytes, *, copy: bool = True, make_dict=dict) -> tuple[dict, _Decoder]:
    """Split a message into its header and a decoder for its values (``decoder.value(header[k])``).

    ``copy=False`` leaves arrays as read-only views of the message (the learner's side, for
    inputs); ``make_dict`` builds dicts (the learner's side passes read-only ones).
    """
    view = memoryview(message)
    header, offset = _FRAMING.unpack(view)
    if type(header) is not dict or type(header.get("op")) is not str or type(header.get("buffers")) is not list:
        raise BadMessage("malformed header")
    buffers = []
    for length in header["buffers"]:
        if type(length) is not int or length < 0 or offset + length > len(view):
            raise BadMessage("bad buffer length")
        buffers.append(view[offset:offset + length])
        offset += length
    if offset != len(view):
        raise BadMessage("trailing bytes")
    return header, _Decoder(buffers, copy, make_dict)


def decode_value(decoder: _Decoder, meta):
    """A value of a decoded message; raises :class:`BadMessage` on anything malformed."""
    try:
        return decoder.value(meta)
    except RecursionError:
        raise BadMessage("nested too deeply") from None
    except (ValueError, TypeError, OverflowError) as exc:
        if isinstance(exc, BadMessage):
            raise
        raise BadMessage(f"malformed value ({type(exc).__name__})") from None
