"""IPC channels: the subjects of the ipc family, each a way to send a payload to a peer and
back. What each one copies is in docs/methodology.md ("Communication cost").

Standard library only: the interpreter measured imports it (the run's probe asks which
channels it can run).
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.cases import Subject, SubjectKind
from bench.models import START_METHODS, Role, model_of


@dataclass(frozen=True)
class Channel:
    """One channel: what a round trip goes through, and who answers."""

    name: str
    description: str
    #: The role of the model whose kind of worker the peer is: a process of the case's
    #: start method, a thread of this process, a subinterpreter; None: no peer at all.
    peer: Role | None

    @property
    def peer_is_process(self) -> bool:
        """The peer is a process, so that a start method applies."""
        return self.peer is Role.PROCESSES

    @property
    def subject(self) -> Subject:
        return Subject(
            self.name, self.name,
            start_methods=START_METHODS if self.peer_is_process else (),
            # the probe reads a worker like the peer; with no peer, the loop's thread
            peer=self.peer or Role.LOOP,
        )  # fmt: skip


CHANNELS: dict[str, Channel] = {
    c.name: c
    for c in (
        Channel("queue.Queue", "a peer thread echoes through two queue.Queue: the reference "
                "travels, no copy", Role.LOOP),
        Channel("mp.Queue", "a peer process echoes through two multiprocessing.Queue: "
                "pickled, piped, fed by a helper thread", Role.PROCESSES),
        Channel("mp.Pipe", "a peer process echoes over a duplex multiprocessing.Pipe: "
                "pickled and copied through a socket", Role.PROCESSES),
        Channel("shared_memory", "a peer process copies the payload out of a SharedMemory "
                "block and back in; 1-byte Pipe messages take turns", Role.PROCESSES),
        Channel("memcpy", "no peer: two copies of the payload between preallocated buffers, "
                "the memory-bandwidth ceiling", None),
        Channel("shared_memory_inplace", "zero-copy: the payload stays in a SharedMemory "
                "block that a peer process reads where it lies, through a memoryview (a "
                "byte per page); 1-byte Pipe messages take turns", Role.PROCESSES),
        Channel("mp.Manager", "a peer process echoes through two queues held by a "
                "multiprocessing.Manager: every put and get is a call to the manager "
                "process, pickled both ways", Role.PROCESSES),
        Channel("interpreters.Queue", "a peer subinterpreter echoes through two interpreters "
                "queues (PEP 734): pickled, handed over as bytes; a waiting get polls "
                "every 10 ms", Role.SUBINTERPRETERS),
    )
}  # fmt: skip

#: Object graphs sent in place of bytes (``ipc_objects``), pickling to about the same size.
OBJECT_PAYLOADS = ("list_of_dicts", "dataclasses", "ndarray")
#: The channels that carry any object, not only bytes: a thread's queue by reference, and
#: the multiprocessing ones that pickle.
OBJECT_CHANNELS = ("queue.Queue", "mp.Queue", "mp.Pipe")

CHANNEL = SubjectKind("IPC channel", lambda: {c.name: c.subject for c in CHANNELS.values()})


def needs_start_method(channel: str) -> bool:
    """Whether the channel's peer is a process, so that a start method applies."""
    if channel not in CHANNELS:
        raise ValueError(f"unknown IPC channel {channel!r}; known: {', '.join(CHANNELS)}")
    return CHANNELS[channel].peer_is_process


def unavailable_channels(unavailable_models: dict[str, str]) -> dict[str, str]:
    """The channels whose peer is a worker of a model this interpreter cannot run (a
    subinterpreter), with its reason: the runner skips their cases as it skips the
    model's (see bench.interpreters)."""
    missing: dict[str, str] = {}
    for channel in CHANNELS.values():
        if channel.peer is None or channel.peer in (Role.LOOP, Role.PROCESSES):
            continue  # a thread or a process of this interpreter: always there
        try:
            model = model_of(channel.peer)
        except LookupError as exc:
            missing[channel.name] = f"no registered model runs its peer ({exc})"
            continue
        if model in unavailable_models:
            missing[channel.name] = f"its peer is a {model} worker: {unavailable_models[model]}"
    return missing
