"""`make bench`: every benchmark, one comparable report.

    python -m bench [--quick] [--only core,platform,booking,reporting]

Prints readable tables and writes bench/results/<UTC time>.json (and latest.json)
so runs can be compared. Each suite measures its own baseline in the same run.
"""
import datetime as dt
import importlib
import json
import os
import platform as host
import sys
import traceback
from pathlib import Path

SUITES = ("core", "platform", "booking", "reporting", "notify", "payments", "casework", "flows")
RESULTS = Path(__file__).parent / "results"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), host.processor()) if Path("/proc/cpuinfo").exists() else host.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": host.python_version(), "system": host.platform()}


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    only = next((a.split("=", 1)[1] for a in argv if a.startswith("--only=")), ",".join(SUITES)).split(",")
    out = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "quick": quick,
           "machine": machine(), "suites": {}}
    failed = []
    for name in only:
        module_name = f"bench.{name}_bench"
        print(f"\n##### {name} #####", flush=True)
        try:
            module = importlib.import_module(module_name)
            result = module.run(quick=quick)
        except Exception:  # one suite failing must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            continue
        out["suites"][name] = result
        text = module.report(result) if hasattr(module, "report") else json.dumps(result, indent=2, default=str)
        print(text, flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = out["time"].replace(":", "").replace("+0000", "Z")
    for path in (RESULTS / f"{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(out, indent=2, default=str))
    print(f"\nresults written to {RESULTS / (stamp + '.json')}")
    if failed:
        print(f"suites that failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
