"""The sweep as a Dask task graph, and its execution on a Dask scheduler.

:func:`build_graph` makes one node per distinct task: the conversion of a (T, method, resolution bits) is
one node that every point of that network reads; the lowering and cycle model one per (network, lanes);
synthesis one per (network, lanes, Yosys target), read by every board of that target; place and route
one per (network, lanes, ECP5 board); then one node per point. A node's Dask key is its cache key
(:func:`fpgasnn.sweep.cache.task_key`), so equal work is one node by construction.

:func:`execute` runs the graph on

- ``"synchronous"``: Dask's single-threaded scheduler in this process (debugging);
- ``"local"``: a ``distributed.LocalCluster`` of ``workers`` worker processes, one thread each
  (default one per core);
- any other string: the address of a running Dask scheduler (``tcp://host:8786``), whose workers need
  fpgasnn with the ``sweep`` extra and its tools installed (README, "Sweeps on a cluster").

with a progress bar (tqdm: tasks done, elapsed, ETA) on stderr.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fpgasnn.errors import UsageError
from fpgasnn.sweep.cache import task_key
from fpgasnn.sweep.space import Point, SweepConfig, board_info, points
from fpgasnn.sweep.tasks import run_task


@dataclass(frozen=True)
class Node:
    key: str
    kind: str
    settings: dict
    deps: tuple[str, ...] = ()
    takes_model: bool = False


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    point_keys: list[tuple[Point, str]] = field(default_factory=list)

    def add(self, kind: str, settings: dict, deps: tuple[str, ...] = (), model=False) -> str:
        key = task_key(kind, {**settings, "deps": list(deps)})
        if key not in self.nodes:
            self.nodes[key] = Node(key, kind, settings, deps, model)
        return key

    def count(self, kind: str) -> int:
        return sum(1 for n in self.nodes.values() if n.kind == kind)


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_graph(cfg: SweepConfig, model_path: str | Path, model_hash: str | None = None) -> Graph:
    """The nodes of the sweep of ``cfg`` over the model file ``model_path`` (module docstring)."""
    mh = model_hash or file_sha256(model_path)
    g = Graph()
    tool_s = float(cfg.tool_timeout_s)
    for p in points(cfg):
        board = board_info(p.board)
        conv = g.add(
            "convert",
            {
                "model_sha256": mh,
                "model_name": Path(model_path).name,
                "dataset": cfg.dataset,
                "T": p.T,
                "method": p.method,
                "res_bits": p.res_bits,
                "calib_images": cfg.calib_images,
                "seed": cfg.seed,
            },
            model=True,
        )
        ev = g.add(
            "evaluate",
            {
                "dataset": cfg.dataset,
                "test_images": cfg.test_images,
                "cycle_images": cfg.cycle_images,
            },
            (conv,),
        )
        hw = g.add(
            "hw",
            {
                "dataset": cfg.dataset,
                "lanes": p.lanes,
                "taps": cfg.taps,
                "cycle_images": cfg.cycle_images,
                "write_register": board.is_ecp5,
            },
            (conv,),
        )
        deps = [conv, ev, hw]
        if cfg.synth:
            deps.append(g.add("synth", {"target": board.target, "timeout_s": tool_s}, (conv, hw)))
            if cfg.pnr and board.is_ecp5:
                deps.append(
                    g.add("pnr", {"board": board.name, "seed": 1, "timeout_s": tool_s}, (conv, hw))
                )
        key = g.add("point", {**p.axes(), "board_info": board.to_dict()}, tuple(deps))
        g.point_keys.append((p, key))
    return g


def _delayed(g: Graph, cache_dir: str | None, model: bytes):
    import dask

    model_node = dask.delayed(model, name=f"model-{hashlib.sha256(model).hexdigest()[:20]}")
    made: dict[str, object] = {}
    for key, n in g.nodes.items():  # insertion order: every node after its inputs
        made[key] = dask.delayed(run_task, pure=True)(
            n.kind,
            key,
            cache_dir,
            n.settings,
            model_node if n.takes_model else None,
            *(made[d] for d in n.deps),
            dask_key_name=key,
        )
    return made


WEIGHTS = {"convert": 200, "evaluate": 20, "hw": 20, "synth": 600, "pnr": 3000, "point": 1}
"""Rough relative cost of each kind of task: the progress bar advances by these, so its ETA does not
take a second's worth of point records for the pace of minutes-long syntheses."""


class _Bar:
    def __init__(self, kinds: list[str], enabled: bool) -> None:
        from tqdm import tqdm

        self.tasks, self.done_tasks, self.failed = len(kinds), 0, 0
        self.bar = tqdm(
            total=sum(WEIGHTS[k] for k in kinds),
            desc="sweep",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed} elapsed, ETA {remaining}]",
        )
        self._post()

    def _post(self) -> None:
        failed = f", {self.failed} failed" if self.failed else ""
        self.bar.set_description_str(
            f"sweep {self.done_tasks}/{self.tasks} tasks{failed}", refresh=False
        )

    def done(self, result: dict) -> None:
        self.done_tasks += 1
        self.failed += not result.get("ok", True)
        self._post()
        self.bar.update(WEIGHTS[result["kind"]])

    def close(self) -> None:
        self.bar.close()


def execute(
    g: Graph,
    model: bytes,
    cache_dir: str | Path | None,
    *,
    scheduler: str = "local",
    workers: int | None = None,
    progress: bool = True,
    on_client: Callable[[object], None] | None = None,
) -> tuple[dict[str, dict], int]:
    """Run every node; ({key: task result}, number of worker processes/threads that ran them)."""
    cache = None if cache_dir is None else str(Path(cache_dir).resolve())
    made = _delayed(g, cache, model)
    keys = list(made)
    bar = _Bar([g.nodes[k].kind for k in keys], progress)
    try:
        if scheduler == "synchronous":
            import dask
            from dask.callbacks import Callback

            class _Posttask(Callback):
                def _posttask(self, key, result, dsk, state, worker_id):
                    if isinstance(result, dict) and "kind" in result:
                        bar.done(result)

            with _Posttask():
                values = dask.compute(*(made[k] for k in keys), scheduler="synchronous")
            return dict(zip(keys, values, strict=True)), 1
        return _distributed(made, keys, bar, scheduler, workers, on_client)
    finally:
        bar.close()


def _distributed(made, keys, bar, scheduler, workers, on_client):
    from distributed import Client, LocalCluster, as_completed

    if scheduler == "local":
        import dask

        n = workers or os.cpu_count() or 1
        # no dashboard, so nobody reads the workers' statistical profiles: do not sample every
        # 10 ms on cores the syntheses need
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            cluster = LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                scheduler_port=0,
                silence_logs=logging.ERROR,
            )
    else:
        if workers is not None:
            raise UsageError("--workers: the workers of an existing scheduler are its own")
        cluster = None
    try:
        client = Client(cluster) if cluster is not None else _connect(scheduler)
        with client:
            if on_client is not None:
                on_client(client)
            nworkers = sum(
                w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()
            )
            futures = dict(zip(keys, client.compute([made[k] for k in keys]), strict=True))
            kinds = {k: made[k].key.split("-", 1)[0] for k in keys}
            values = {}
            for fut in as_completed(list(futures.values())):
                key = str(fut.key)
                try:
                    values[key] = fut.result()
                except Exception as e:  # noqa: BLE001 -- a worker lost (killed, out of memory)
                    values[key] = lost_task(key, kinds[key], e)
                bar.done(values[key])
        return {k: values[k] for k in keys}, nworkers
    finally:
        if cluster is not None:
            cluster.close()


def lost_task(key: str, kind: str, e: BaseException) -> dict:
    """The failure result of a task whose worker was lost (the task itself never returned)."""
    return {
        "key": key,
        "kind": kind,
        "ok": False,
        "hit": False,
        "value": None,
        "error": f"{kind}: the Dask worker running it was lost: {type(e).__name__}: {e}",
        "seconds": 0.0,
    }


def _connect(address: str):
    from distributed import Client

    try:
        return Client(address, timeout="20s")
    except (OSError, TimeoutError, ValueError) as e:
        raise UsageError(
            f"--scheduler {address!r}: cannot reach a Dask scheduler there ({e}); give local, "
            "synchronous or the address of a running `dask scheduler` (tcp://HOST:8786)"
        ) from None


__all__ = ["Graph", "Node", "build_graph", "execute", "file_sha256"]
