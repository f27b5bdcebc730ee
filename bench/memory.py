"""The memory of a process that imports a file: after `django.setup()`, once the import path
is loaded (before it reads its first record), and the peak of a whole `import_references` of
a small file. Each figure is read in a fresh process, from /proc (VmRSS, VmHWM).

    python bench/memory.py [--repo DIR] [--file FILE] [--json]

`--repo` measures another checkout with this virtualenv (an older commit, to compare:
`git worktree add /tmp/before COMMIT`). The default file is a real RIS export the tests use.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
DEFAULT_FILE = HERE / "tests" / "data" / "ris" / "rispy" / "example_full.ris"

# Run inside the measured checkout: the import path is what `import_references` loads before
# it opens the file.
PROBE = """
import os, sys, json
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024
import django
django.setup()
after_setup = status("VmRSS")
import importlib
importlib.import_module("screening.management.commands.import_references")
loaded = status("VmRSS")
heavy = [m for m in ("sklearn", "scipy", "numpy", "pandas") if m in sys.modules]
print(json.dumps({"after_setup_mb": after_setup, "import_path_mb": loaded, "heavy": heavy}))
"""

PEAK = """
import os, runpy, sys, atexit
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM"):
            print("PEAK_MB", int(line.split()[1]) / 1024, file=sys.stderr)
    heavy = [m for m in ("sklearn", "scipy", "numpy", "pandas") if m in sys.modules]
    print("HEAVY", ",".join(heavy), file=sys.stderr)
atexit.register(peak)
sys.argv = ["manage.py", *sys.argv[1:]]
runpy.run_path("manage.py", run_name="__main__")
"""


def _env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL")}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    env["RANKING_RETRAIN"] = "off"  # the import alone, not the retrain it asks for
    return env


def _manage(repo: Path, env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PEAK, *args], cwd=repo, env=env, capture_output=True, text=True
    )


def measure(repo: Path, file: Path) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = _env(Path(tmp) / "memory.sqlite3")
        probe = subprocess.run(
            [sys.executable, "-c", PROBE], cwd=repo, env=env, capture_output=True, text=True
        )
        if probe.returncode:
            raise SystemExit(probe.stderr)
        figures = json.loads(probe.stdout.strip().splitlines()[-1])
        for args in (("migrate", "--noinput", "-v", "0"), ("create_review", "memory-bench")):
            done = _manage(repo, env, *args)
            if done.returncode:
                raise SystemExit(done.stderr)
        done = _manage(repo, env, "import_references", "memory-bench", str(file), "--json")
        if done.returncode:
            raise SystemExit(done.stderr)
        figures["import_peak_mb"] = float(done.stderr.split("PEAK_MB")[-1].split()[0])
        figures["records"] = json.loads(done.stdout.strip().splitlines()[-1])["records"]
    figures["file"] = file.name
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=HERE, help="the checkout to measure")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    figures = measure(options.repo.resolve(), options.file.resolve())
    if options.json:
        print(json.dumps(figures))
        return
    print(f"| measure ({figures['file']}, {figures['records']} records) | MB |")
    print("| --- | ---: |")
    print(f"| after django.setup() | {figures['after_setup_mb']:.1f} |")
    print(f"| import path loaded, before the first record | {figures['import_path_mb']:.1f} |")
    print(f"| peak of the whole import_references | {figures['import_peak_mb']:.1f} |")
    print(f"\nheavy libraries loaded before the first record: {figures['heavy'] or 'none'}")


if __name__ == "__main__":
    main()
