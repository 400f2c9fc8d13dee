"""Progress of long cluster work: rich bars on a terminal, plain lines elsewhere."""

from __future__ import annotations

import sys
import time

from rilo_node.sim.cluster import Progress


def terminal_progress(quiet: bool = False) -> Progress:
    """A Progress for cluster work: rich bars on a terminal, plain lines elsewhere."""
    if quiet:
        return Progress()
    state: dict = {}
    tty = sys.stderr.isatty()

    def start(what: str, total: int) -> None:
        state.update(what=what, total=total, done=0, t=time.monotonic())
        # No live display while nodes are forked: a forked child must not inherit a running thread.
        if tty and what != "starting nodes":
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TimeElapsedColumn,
            )

            bar = Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           transient=True)
            bar.start()
            state["bar"], state["task"] = bar, bar.add_task(what, total=total)

    def advance(n: int) -> None:
        state["done"] = state.get("done", 0) + n
        if state.get("bar"):
            state["bar"].update(state["task"], advance=n)

    def done() -> None:
        if state.get("bar"):
            state.pop("bar").stop()
        if state.get("what"):
            print(f"{state['what']}: {state['done']}/{state['total']} in {time.monotonic() - state['t']:.1f} s",
                  file=sys.stderr, flush=True)

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    return Progress(start, advance, done, say)
