"""Length-prefixed JSON: the one framing of the grading channels.

A frame is a big-endian length (its width is the channel's), then that many bytes of JSON (a
header), then whatever the channel appends after it. ``wire`` frames each message between the
tests' process and the learner's (a 4-byte length, compact JSON, then the message's buffers);
``zygote`` frames its control messages on a socket (an 8-byte length and JSON), file descriptors
riding with the length.
"""

from __future__ import annotations

import json
import socket
import struct


def read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks, got = [], 0
    while got < size:
        chunk = sock.recv(min(size - got, 1 << 20))
        if not chunk:
            raise EOFError("the other side hung up")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


class Framing:
    """The frames of one channel: ``length`` a ``struct`` format, ``separators`` as ``json.dumps``
    takes them, ``error`` the exception a malformed frame raises."""

    def __init__(self, length: str, *, separators=None, error=ValueError):
        self.length = struct.Struct(length)
        self.separators = separators
        self.error = error

    def pack(self, header: dict) -> bytes:
        """The length and the JSON of ``header``."""
        text = json.dumps(header, separators=self.separators).encode()
        return self.length.pack(len(text)) + text

    def header(self, text) -> object:
        try:
            return json.loads(bytes(text))
        except (ValueError, RecursionError) as exc:
            raise self.error(f"unreadable header: {type(exc).__name__}") from None

    def unpack(self, view: memoryview) -> tuple[object, int]:
        """The header at the start of ``view``, and the offset just after it."""
        start = self.length.size
        if len(view) < start:
            raise self.error("short message")
        (size,) = self.length.unpack(view[:start])
        if size > len(view) - start:
            raise self.error("truncated header")
        return self.header(view[start:start + size]), start + size

    def send(self, sock: socket.socket, header: dict, fds: list[int] = ()) -> None:
        """One frame on a stream socket; ``fds`` ride with its length."""
        frame = self.pack(header)
        if fds:
            socket.send_fds(sock, [frame[:self.length.size]], list(fds))
            sock.sendall(frame[self.length.size:])
        else:
            sock.sendall(frame)

    def receive(self, sock: socket.socket, max_fds: int = 4) -> tuple[object, list[int]]:
        """The next frame's header on a stream socket, and the file descriptors that came with it."""
        head, fds, _flags, _addr = socket.recv_fds(sock, self.length.size, max_fds)
        if not head:
            raise EOFError("the other side hung up")
        if len(head) < self.length.size:
            head += read_exactly(sock, self.length.size - len(head))
        (size,) = self.length.unpack(head)
        return self.header(read_exactly(sock, size)), fds
