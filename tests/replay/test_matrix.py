"""Proof by difference over a generated matrix (dnsdoctor.lab.matrix, seed recorded there).

Every variant runs in the lab (root, a private network namespace, tcpdump): each real client
(musl 1.2.3 fine and coarse clock, glibc 2.36, musl 1.2.5 fine and coarse clock) resolves its
own name once. Then, per library, `dnsdoctor pcap --format json --resolv-conf <the variant's
resolv.conf> --client <model> --all-lookups` runs in a separate process on the capture alone,
and the replayed call of each client run must equal what the binary returned: result, EAI
code, addresses by family (with duplicates), and the elapsed time within 10% (at least 50 ms)
of the real one. Variants run one at a time. The agreement per library and per outcome class
is printed (`pytest -s`) and written to $DNSDOCTOR_MATRIX_REPORT when set.

The bar is 100%: any disagreement fails. (glibc's repeat of the whole lookup when the answers
overflow its first buffer, the 40-A-record names, is modelled in dnsdoctor.replay.glibc_repeat;
before that it was this matrix's one disagreement.)
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from dnsdoctor.errors import EnvironmentMissingError
from dnsdoctor.lab import matrix
from dnsdoctor.lab.runner import check_prerequisites, run_scenario

from .test_differential import predicted_calls

pytestmark = pytest.mark.root

MODEL_OF = {
    "gai-musl": "musl-1.2.3",
    "gai-musl-coarse": "musl-1.2.3",
    "gai-glibc": "glibc-2.36",
    "gai-musl-new": "musl-1.2.4",
    "gai-musl-new-coarse": "musl-1.2.4",
    "gai-go": "go-1.19",
}
INTERESTING = {"EAI_NONAME", "EAI_AGAIN", "EAI_NODATA", "EAI_FAIL", "IPv4 only", "IPv6 only"}
MIN_INTERESTING = 20


def outcome_class(got: dict[str, Any]) -> str:
    if got["result"] != "ok":
        return str(got["eai"])
    if got["ipv4"] and got["ipv6"]:
        return "both families"
    return "IPv4 only" if got["ipv4"] else "IPv6 only"


def compare(got: dict[str, Any], predicted: dict[str, Any]) -> list[str]:
    problems = []
    if (predicted["result"], predicted["eai"]) != (got["result"], got["eai"]):
        problems.append(f"predicted {predicted['result']} {predicted['eai']}")
    problems += [
        f"{family} predicted {sorted(predicted[family])}"
        for family in ("ipv4", "ipv6")
        if sorted(predicted[family]) != sorted(got[family])
    ]
    tolerance = max(0.1 * got["elapsed_ms"], 50)
    if abs(predicted["elapsed_ms"] - got["elapsed_ms"]) > tolerance:
        problems.append(f"predicted {predicted['elapsed_ms']} ms")
    return problems


def calls_for(calls: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The replayed calls whose last name is the client's name, in order."""
    mine = [c for c in calls if c["names"] and c["names"][-1] == name + "."]
    return sorted(mine, key=lambda c: c["start"])


def check_variant(item: matrix.Variant, out: Path) -> list[dict[str, Any]]:
    """Run one variant; one row per client run: what it got, what was predicted, problems."""
    record = run_scenario(item.scenario, out)
    resolv = out / f"{item.name}.resolv.conf"
    resolv.write_text(item.scenario.resolv_conf)
    pcap = Path(record["pcap"])
    by_model = {
        model: predicted_calls(pcap, resolv, model) for model in sorted(set(MODEL_OF.values()))
    }
    rows = []
    for client in record["clients"]:
        got, model = client["got"], MODEL_OF[client["client"]]
        calls = calls_for(by_model[model], client["name"])
        predicted = calls[0]["results"][model] if calls else None
        problems = compare(got, predicted) if predicted else ["no replayed call"]
        rows.append(
            {
                "variant": item.describe(),
                "client": client["client"],
                "model": model,
                "class": outcome_class(got),
                "got": {k: got[k] for k in ("result", "eai", "ipv4", "ipv6", "elapsed_ms")},
                "predicted": predicted,
                "problems": problems,
                "pcap": str(pcap),
            }
        )
    return rows


def agreement_table(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[int]]]:
    """client -> outcome class -> [agreeing runs, runs]."""
    table: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        for key in (row["class"], "all"):
            cell = table[row["client"]][key]
            cell[0] += not row["problems"]
            cell[1] += 1
    return {client: dict(classes) for client, classes in table.items()}


@pytest.fixture(scope="module")
def matrix_rows(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    try:
        check_prerequisites()
    except EnvironmentMissingError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
    seed = int(os.environ.get("DNSDOCTOR_MATRIX_SEED", matrix.SEED))
    out = tmp_path_factory.mktemp("matrix")
    started = time.monotonic()
    rows: list[dict[str, Any]] = []
    for item in matrix.generate(seed):
        rows += check_variant(item, out)
    report = {
        "seed": seed,
        "variants": len({r["variant"] for r in rows}),
        "wall_s": round(time.monotonic() - started, 1),
        "agreement": agreement_table(rows),
        "disagreements": [r for r in rows if r["problems"]],
    }
    brief = [
        f"{r['variant']} | {r['client']}: {'; '.join(r['problems'])}"
        for r in report["disagreements"]
    ]
    print(json.dumps({**report, "disagreements": brief}, indent=1))
    if os.environ.get("DNSDOCTOR_MATRIX_REPORT"):
        Path(os.environ["DNSDOCTOR_MATRIX_REPORT"]).write_text(
            json.dumps({**report, "rows": rows}, indent=1)
        )
    return {**report, "rows": rows}


def test_matrix_is_big_and_varied_enough(matrix_rows: dict[str, Any]) -> None:
    """At least 50 variants; per library at least 20 runs end in an error or one family."""
    assert matrix_rows["variants"] >= 50
    per_client = Counter(r["client"] for r in matrix_rows["rows"] if r["class"] in INTERESTING)
    for client in MODEL_OF:
        assert per_client[client] >= MIN_INTERESTING, (client, per_client)


def test_replay_agrees_with_every_real_run(matrix_rows: dict[str, Any]) -> None:
    """Every disagreement fails."""
    disagreements = [
        f"{r['variant']} | {r['client']}: got {r['got']}; {'; '.join(r['problems'])}"
        for r in matrix_rows["disagreements"]
    ]
    assert not disagreements, "\n".join(disagreements)
