"""
Drives gepa-ai/gepa (the reference) on the side-by-side benchmark of
bench/gepaVsReference.ts: the same task, the same simulated task and
reflection models, the same data and budget. Reads one JSON job on stdin,
prints one JSON result on stdout:

  {"seed": s, "metric_calls": n, "val_curve": [[calls, mean, seconds], ...], "wall_s": t}

`val_curve` has one point per full validation the reference ran (the seed's
and each accepted candidate's), with the metric calls spent when it finished,
counted as the examples the reference handed to the adapter.

Run by the TypeScript bench with GEPA_REF=/path/to/gepa/src on PYTHONPATH.
"""
import contextlib
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import gepa
from gepa.core.adapter import EvaluationBatch

job = json.load(sys.stdin)
LATENCY = job["latency_ms"] / 1000.0
RULE = job["rule"]
CONCURRENCY = job["concurrency"]


def sleep():
    if LATENCY > 0:
        time.sleep(LATENCY)


def task_model(system: str, user: str) -> str:
    """The same function as the TypeScript bench's task model."""
    m = re.search(r"word:(\w+)", user)
    w = m.group(1) if m else ""
    sleep()
    if f"KEY:{w}" not in system:
        return "I do not know."
    return f"{w.upper()}-OK" if RULE in system else f"{w}-ok"


def feedback(ex, output: str):
    """The same text as src/gepa/metric.ts containsAnswer with additional_context."""
    answer = ex["answer"].strip()
    if answer.lower() in output.lower():
        return 1.0, f"The response is correct: it contains the expected answer '{answer}'."
    ctx = "\n".join(f"{k}: {v}" for k, v in ex["additional_context"].items())
    return 0.0, (
        f"The response is incorrect. The correct answer is '{answer}'. Make sure the response contains the correct answer exactly as written."
        + (f" Here is some additional context that may help:\n{ctx}" if ctx else "")
    )


class Reflection:
    """The same function as the TypeScript bench's reflection model (one call counter per run)."""

    def __init__(self, span: int, garble_every: int):
        self.n = 0
        self.span = span
        self.garble_every = garble_every

    def __call__(self, prompt) -> str:
        if not isinstance(prompt, str):
            prompt = "\n".join(m.get("content", "") for m in prompt)
        sleep()
        m = re.search(r"```\n([\s\S]*?)\n```", prompt)
        current = m.group(1) if m else ""
        rest = prompt[prompt.index(current) + len(current):]
        fresh = []
        for k in re.findall(r"KEY:\w+|FORMAT:\w+", rest):
            if k not in current and k not in fresh:
                fresh.append(k)
        self.n += 1
        garbled = self.garble_every > 0 and self.n % self.garble_every == 0
        body = re.sub(r"KEY:\w+\s*", "", current) if garbled else " ".join([current] + fresh[: self.span])
        return f"New instruction:\n```\n{body.strip()}\n```"


class Adapter:
    propose_new_texts = None

    def __init__(self, val_ids):
        self.calls = 0
        self.val_ids = val_ids
        self.curve = []
        self.t0 = time.perf_counter()
        self.pool = ThreadPoolExecutor(max_workers=CONCURRENCY)

    def evaluate(self, batch, candidate, capture_traces=False):
        system = candidate["system_prompt"]

        def one(ex):
            out = task_model(system, ex["input"])
            score, fb = feedback(ex, out)
            return out, score, fb

        results = list(self.pool.map(one, batch))
        self.calls += len(batch)
        if sorted(ex["id"] for ex in batch) == self.val_ids:
            self.curve.append([self.calls, sum(r[1] for r in results) / len(results), time.perf_counter() - self.t0])
        traj = [{"input": ex["input"], "output": r[0], "feedback": r[2]} for ex, r in zip(batch, results)] if capture_traces else None
        return EvaluationBatch(outputs=[r[0] for r in results], scores=[r[1] for r in results], trajectories=traj)

    def make_reflective_dataset(self, candidate, eval_batch, components_to_update):
        records = [{"Inputs": t["input"], "Generated Outputs": t["output"], "Feedback": t["feedback"]} for t in eval_batch.trajectories]
        return {c: records for c in components_to_update}


def main():
    train = [dict(e, id=f"t{i}") for i, e in enumerate(job["train"])]
    val = [dict(e, id=f"v{i}") for i, e in enumerate(job["val"])]
    adapter = Adapter(sorted(e["id"] for e in val))
    t = time.perf_counter()
    # The reference logs to stdout; stdout is for the one result line.
    with contextlib.redirect_stdout(sys.stderr):
        run(train, val, adapter)
    print(json.dumps({"seed": job["seed"], "metric_calls": adapter.calls, "val_curve": adapter.curve, "wall_s": time.perf_counter() - t}))


def run(train, val, adapter):
    gepa.optimize(
        seed_candidate={"system_prompt": job["seed_prompt"]},
        trainset=train,
        valset=val,
        adapter=adapter,
        reflection_lm=Reflection(job["span"], job["garble_every"]),
        reflection_minibatch_size=job["minibatch_size"],
        max_metric_calls=job["max_metric_calls"],
        seed=job["seed"],
        candidate_selection_strategy="pareto",
        display_progress_bar=False,
        raise_on_exception=True,
    )


main()
