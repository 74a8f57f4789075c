#!/usr/bin/env python3
"""Read a Sparseland Studio project folder with nothing but Python and NumPy.

This is the reference reader of docs/project-format.md: it uses only what that page documents. Run it as

    python3 docs/read_project.py PROJECT_DIR            # prints a JSON report of every run and data set

or import it and call load_project / load_run / load_dataset. The test src-main/host/project-format.test.ts
runs it on a project the app wrote and holds its report against what the engine computed.
"""
import json
import os
import sys

import numpy as np

SUPPORTED_FORMAT = 2


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_metrics(path):
    """metrics.jsonl: one JSON object per line. A line that does not parse is torn (the app died while
    appending it) and is skipped. A line whose iteration is not after the previous line's (same layer) starts
    a resumed stretch: it supersedes the earlier lines from that iteration on."""
    if not os.path.exists(path):
        return []
    lines = []
    with open(path, encoding="utf-8") as f:
        for raw in f:
            if not raw.strip():
                continue
            try:
                m = json.loads(raw)
            except json.JSONDecodeError:
                continue
            if not isinstance(m, dict) or "iteration" not in m:
                continue
            if lines and m["iteration"] <= lines[-1]["iteration"] and m.get("layer") == lines[-1].get("layer"):
                lines = [x for x in lines if x["iteration"] < m["iteration"]]
            lines.append(m)
    return lines


def load_arrays(folder):
    """Every NAME.npy of a folder (hidden temporaries excluded), as {NAME: array}."""
    return {
        name[:-4]: np.load(os.path.join(folder, name), allow_pickle=False)
        for name in sorted(os.listdir(folder))
        if name.endswith(".npy") and not name.startswith(".")
    }


def load_project(project_dir):
    project = read_json(os.path.join(project_dir, "project.json"))
    if project["schemaVersion"] > SUPPORTED_FORMAT:
        raise ValueError(f"project format {project['schemaVersion']} is newer than this reader ({SUPPORTED_FORMAT})")
    return project


def load_run(project_dir, run_id):
    folder = os.path.join(project_dir, "runs", run_id)
    run = {
        "config": read_json(os.path.join(folder, "config.json")),
        "status": read_json(os.path.join(folder, "status.json")),
        "metrics": read_metrics(os.path.join(folder, "metrics.jsonl")),
        "arrays": load_arrays(folder),
    }
    if os.path.exists(os.path.join(folder, "phase.json")):
        run["phase"] = read_json(os.path.join(folder, "phase.json"))
    pointer = os.path.join(folder, "checkpoint.json")
    if os.path.exists(pointer):
        cp = read_json(pointer)
        state = read_json(os.path.join(folder, cp["dir"], "state.json"))
        arrays = {name: np.load(os.path.join(folder, cp["dir"], name + ".npy"), allow_pickle=False) for name in state["tensors"]}
        run["checkpoint"] = {"iteration": cp["iteration"], "state": state["state"], "arrays": arrays}
    return run


def load_dataset(project_dir, summary):
    folder = os.path.join(project_dir, "datasets", summary["id"])
    out = {"summary": read_json(os.path.join(folder, "dataset.json")), "data": np.load(os.path.join(folder, "data.npy"))}
    for key, name in (("test", "test.npy"), ("labels", "labels.npy"), ("test_labels", "test_labels.npy")):
        if os.path.exists(os.path.join(folder, name)):
            out[key] = np.load(os.path.join(folder, name))
    return out


def synthesize_layer1(W1, gamma1, stride, pad):
    """D_1 Gamma_1: the transposed convolution the app calls the reconstruction. W1 is [m, c, k, k] and gamma1
    [n, m, h, w]; every code entry adds its atom, placed `stride` pixels apart, then `pad` is cropped off."""
    n, m, h, w = gamma1.shape
    _, c, k, _ = W1.shape
    full = np.zeros((n, c, (h - 1) * stride + k, (w - 1) * stride + k), dtype=np.float64)
    for i in range(h):
        for j in range(w):
            full[:, :, i * stride : i * stride + k, j * stride : j * stride + k] += np.einsum("nm,mcyx->ncyx", gamma1[:, :, i, j], W1)
    return full[:, :, pad : full.shape[2] - pad, pad : full.shape[3] - pad]


def describe(a):
    return {
        "dtype": str(a.dtype),
        "shape": list(a.shape),
        "c_order": bool(a.flags["C_CONTIGUOUS"]),
        "sum": float(np.sum(a, dtype=np.float64)),
        "nonzeros": int(np.count_nonzero(a)),
        "first": [float(x) for x in a.reshape(-1)[:4]],
    }


def report(project_dir):
    project = load_project(project_dir)
    out = {"name": project["name"], "schemaVersion": project["schemaVersion"], "runs": [], "datasets": []}
    for run_id in project["runs"]:
        run = load_run(project_dir, run_id)
        status, config, metrics = run["status"], run["config"], run["metrics"]
        assert status["id"] == run_id, f"runs/{run_id}/status.json names {status['id']}"
        kind = "pursuit" if "pursuit" in config else "learning" if "method" in config else "phase"
        r = {
            "id": run_id,
            "kind": kind,
            "status": status["status"],
            "name": status["name"],
            "iterations": status["iterations"],
            "finalObjective": status.get("finalObjective"),
            "layers": status.get("layers"),
            "notes": status.get("notes"),
            "tags": status.get("tags"),
            "metrics": {
                "count": len(metrics),
                "iterations": [m["iteration"] for m in metrics],
                "lastObjective": metrics[-1]["objective"] if metrics else None,
                "lastValues": metrics[-1].get("values") if metrics else None,
            },
            "arrays": {name: describe(a) for name, a in run["arrays"].items()},
        }
        if kind == "pursuit" and "W1" in run["arrays"] and "gamma1" in run["arrays"] and "reconstruction" in run["arrays"]:
            layer1 = config["layers"][0]
            synth = synthesize_layer1(run["arrays"]["W1"], run["arrays"]["gamma1"], layer1["stride"], layer1["pad"])
            r["reconstructionError"] = float(np.max(np.abs(synth - run["arrays"]["reconstruction"])))
        if "W1" in run["arrays"] and "atoms1" in run["arrays"] and run["arrays"]["W1"].shape[1] == 1:
            W1 = run["arrays"]["W1"]
            r["atomsAreW1"] = bool(np.array_equal(run["arrays"]["atoms1"], W1.reshape(W1.shape[0], W1.shape[2], W1.shape[3])))
        if "checkpoint" in run:
            cp = run["checkpoint"]
            r["checkpoint"] = {"iteration": cp["iteration"], "arrays": {n: {"dtype": str(a.dtype), "shape": list(a.shape)} for n, a in cp["arrays"].items()}}
        if "phase" in run:
            r["phase"] = {"cellsDone": run["phase"]["cellsDone"], "cellsTotal": run["phase"]["cellsTotal"]}
        out["runs"].append(r)
    for summary in project["datasets"]:
        d = load_dataset(project_dir, summary)
        out["datasets"].append(
            {
                "id": summary["id"],
                "name": summary["name"],
                "format": summary["format"],
                "stats": d["summary"]["stats"],
                "arrays": {k: describe(v) for k, v in d.items() if k != "summary"},
            }
        )
    trash = os.path.join(project_dir, "trash")
    out["trash"] = sorted(os.listdir(trash)) if os.path.isdir(trash) else []
    return out


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: read_project.py PROJECT_DIR")
    json.dump(report(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")
