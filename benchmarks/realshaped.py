"""`generator check --jekyll` against a clean `jekyll build` on real-shaped trees.

The generated corpus of run.py shares a few templates between thousands of pages, and most of
its pages have no problem: it measures neither Jinja compiling hundreds of distinct templates
nor pages that have something to report, which is where real trees spend their time. This
benchmark builds its trees from the real sample (../shared/corpus/devportal-sample) by
varying it:

- every element folder is copied as often as the size needs; each copy gets its own heading
  and a paragraph of its own words, so no two pages have the same text, and a fifth of the
  pages get template tags of their own (OWN_TAGS), so that pages differ in their tags too;
- the partials are copied once per group of ten element copies, each copy with words of its
  own (and a fifth of them tags of their own), so a partial is shared by about ten pages
  and the tree has hundreds of distinct templates, included at the depths the sample has
  (pages -> partials -> partials);
- every copy has a note beside its pages that some pages pull in with include_relative;
- the sample's own defects stay in every copy, and every other copy gets one more in its
  authenticate, events and bulk pages (a response whose element id is not the page's): the
  share of pages with something to report is measured and printed with the figures (about a
  fifth; on the sample itself it is about a third);
- `_data/` is the sample's.

Measured, each as the median of --runs runs, in one run of this script, on the same tree:
- `jekyll build` from clean (no output folder, no .jekyll-cache);
- `generator check --jekyll` from clean (an empty cache folder), repeated with nothing
  changed, and after an edit of one partial that ten pages include, each printing its
  report as users see it by default (text, every problem with its source line);
- the check's peak memory (maximum resident set size, from GNU time).

The check runs as an installed package does: with Python's compiled modules (the script
lets Python write them, and loads them once before measuring, even where
PYTHONDONTWRITEBYTECODE is set), and with the cache in an empty user cache folder for each
clean run (page cache, file memo and compiled templates all start empty).

Writes benchmarks/REAL-TREES.md (the figures and this method) and a JSON file of the raw
samples. Jekyll comes from Debian (`make jekyll` installs it); without it the Jekyll column
is left empty and the report says so.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO.parent / "shared" / "corpus" / "devportal-sample"
WORDS = (
    "instance",
    "element",
    "token",
    "vendor",
    "callback",
    "account",
    "record",
    "field",
    "event",
    "poll",
    "webhook",
    "bulk",
    "query",
    "object",
    "mapping",
    "tenant",
    "region",
    "sandbox",
    "scope",
    "consent",
    "refresh",
    "secret",
    "endpoint",
    "header",
    "payload",
    "schema",
    "version",
    "paging",
    "filter",
    "cursor",
    "limit",
    "retry",
)
GROUP = 10  # element copies that share one copy of the partials
# Template tags a page or a partial copy may get of its own, so that pages differ in their
# tags as real pages do, not only in their text: a clean check then compiles a template for
# most of those (on the real tree the seeds come from, about 390 templates for 1,400
# pages). They read keys every element page has, and report nothing.
OWN_TAGS = (
    "{{ page.heading | upcase }}",
    "{% if page.title %}({{ page.title }}){% endif %}",
    "{% assign who = page.heading %}{{ who | downcase }}",
    "{{ page.description | size }}",
    "{% capture said %}{{ page.title }} {{ page.order }}{% endcapture %}{{ said | strip }}",
    "{% assign parts = page.heading | split: ' ' %}{% for part in parts %}{{ part }}{% endfor %}",
    "{{ page.elementId | plus: 1 }}",
    "{% unless page.order == 0 %}{{ page.order }}{% endunless %}",
)
OWN_TAGS_SHARE = 0.2  # of pages, and of partial copies


def own_tags(rng: random.Random) -> str:
    """One to three tags of OWN_TAGS, or nothing (for 1 - OWN_TAGS_SHARE of the calls)."""
    if rng.random() >= OWN_TAGS_SHARE:
        return ""
    return " ".join(rng.choice(OWN_TAGS) for _ in range(rng.randint(1, 3)))


def sentence(rng: random.Random, words: int = 14) -> str:
    chosen = [rng.choice(WORDS) for _ in range(words)]
    return " ".join(chosen).capitalize() + "."


def make_tree(pages_wanted: int, dest: Path, seed: int = 7) -> dict[str, int]:
    """A tree of about ``pages_wanted`` published pages made from the sample."""
    rng = random.Random(seed)
    elements = sorted(p for p in (SAMPLE / "docs" / "elements").iterdir() if p.is_dir())
    per_set = sum(1 for e in elements for p in e.rglob("*.md"))
    copies = max(1, -(-pages_wanted // per_set))
    shutil.copytree(SAMPLE / "_data", dest / "_data")
    config = (SAMPLE / "_config.yml").read_text(encoding="utf-8")
    config = re.sub(r"(?ms)^gems:\n(?:  - .*\n)+", "", config)  # plugins Debian lacks
    (dest / "_config.yml").write_text(config, encoding="utf-8")
    includes = dest / "_includes"
    shutil.copytree(SAMPLE / "_includes", includes)  # the originals, and copies below
    partial_sets = sorted(p for p in (SAMPLE / "_includes" / "Elements").iterdir() if p.is_dir())
    groups = -(-copies // GROUP)
    for group in range(groups):
        for folder in partial_sets:
            target = includes / "Elements" / f"{folder.name}-g{group}"
            target.mkdir(parents=True)
            for partial in folder.iterdir():
                text = partial.read_text(encoding="utf-8")
                words = f"\n{sentence(rng)} (variant {group}) {own_tags(rng)}\n"
                text = re.sub(
                    r"\{% include Elements/(\w+)/", rf"{{% include Elements/\1-g{group}/", text
                )
                (target / partial.name).write_text(text + words, encoding="utf-8")
        index = (SAMPLE / "_includes" / "Elements" / "index.md").read_text(encoding="utf-8")
        (includes / "Elements" / f"index-g{group}.md").write_text(
            index + f"\n{sentence(rng)}\n", encoding="utf-8"
        )
    counts = {"pages": 0, "with_defect_added": 0, "distinct_partials": 0, "with_own_tags": 0}
    for copy in range(copies):
        group = copy // GROUP
        for element in elements:
            slug = f"{element.name}-{copy}"
            out = dest / "docs" / "elements" / slug
            (out).mkdir(parents=True)
            (out / "note.md").write_text(f"{sentence(rng)}\n", encoding="utf-8")
            for page in sorted(element.rglob("*.md")):
                text = page.read_text(encoding="utf-8")
                text = re.sub(
                    r"\{% include Elements/(\w+)/", rf"{{% include Elements/\1-g{group}/", text
                )
                text = text.replace(
                    "{% include Elements/index.md", f"{{% include Elements/index-g{group}.md"
                )
                # ids and keys stay: examples in pages and partials name them, and the
                # sample's own mismatches are the defects real trees have
                text = re.sub(r"(?m)^(heading: *)(.+)$", rf"\g<1>\g<2> {copy}", text)
                head, sep, body = text.partition("\n---\n")
                tags = own_tags(rng)
                counts["with_own_tags"] += bool(tags)
                extra = f"\n{sentence(rng)} {tags} {sentence(rng)}\n"
                if page.name == "index.md":
                    extra += "\n{% include_relative note.md %}\n"
                if page.name in ("authenticate.md", "events.md", "bulk.md") and copy % 2:
                    extra += (
                        '\n```json\n{\n  "id": 1,\n  "name": "API Instance",\n'
                        '  "token": "xxxx",\n  "element": {"id": 1, "key": '
                        '"{{ page.elementKey }}"}\n}\n```\n'
                    )
                    counts["with_defect_added"] += 1
                rel = page.relative_to(element)
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                (out / rel).write_text(head + sep + extra + body, encoding="utf-8")
                counts["pages"] += 1
    counts["distinct_partials"] = sum(1 for _ in includes.rglob("*") if _.is_file())
    return counts


def timed(
    command: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int, int]:
    """(seconds, exit code, peak resident memory in KiB) of one run."""
    wrapped = ["/usr/bin/time", "-f", "%M", *command] if Path("/usr/bin/time").exists() else command
    start = time.perf_counter()
    result = subprocess.run(
        wrapped,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
    memory = int(last) if last.isdigit() else 0
    return seconds, result.returncode, memory


def measure(size: int, runs: int, work: Path) -> dict[str, Any]:
    tree = work / f"tree-{size}"
    counts = make_tree(size, tree)
    # the report as users see it by default: text, each problem with its source line
    generator = [str(REPO / ".venv" / "bin" / "generator"), "check", "--jekyll", str(tree)]
    samples: dict[str, list[float]] = {"jekyll": [], "clean": [], "repeated": [], "edited": []}
    memory: list[int] = []
    jekyll = shutil.which("jekyll")
    partial = tree / "_includes" / "Elements" / "autotask-g0" / "setup.md"
    diagnostics = 0
    for run in range(runs):
        if jekyll:
            shutil.rmtree(tree / ".jekyll-cache", ignore_errors=True)
            shutil.rmtree(work / "site", ignore_errors=True)
            seconds, code, _ = timed(
                [jekyll, "build", "--quiet", "-s", str(tree), "-d", str(work / "site")], work
            )
            if code == 0:
                samples["jekyll"].append(seconds)
            shutil.rmtree(tree / ".jekyll-cache", ignore_errors=True)
        cache = work / f"cache-{size}-{run}"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if run == 0:  # Python compiles the modules once, as an installation does
            subprocess.run([*generator[:1], "--help"], env=env, capture_output=True, check=False)
        seconds, code, peak = timed(generator, work, env)
        samples["clean"].append(seconds)
        memory.append(peak)
        seconds, _, _ = timed(generator, work, env)
        samples["repeated"].append(seconds)
        partial.write_text(
            partial.read_text(encoding="utf-8") + f"\nEdit {run}.\n", encoding="utf-8"
        )
        seconds, _, _ = timed(generator, work, env)
        samples["edited"].append(seconds)
        shutil.rmtree(cache, ignore_errors=True)
    report = subprocess.run(
        [*generator, "--format", "json"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "XDG_CACHE_HOME": str(work / "count")},
    )
    try:
        found = json.loads(report.stdout)["diagnostics"]
        diagnostics = len(found)
        with_problems = len(
            {
                re.sub(r":\d+(:\d+)?$", "", d["included_from"][-1])
                if d.get("included_from")
                else d["path"]
                for d in found
            }
        )
    except (ValueError, KeyError, IndexError, TypeError):
        with_problems = 0
    return {
        "load_average": os.getloadavg(),
        "size": size,
        "tree": counts,
        "samples": samples,
        "peak_kib": memory,
        "diagnostics": diagnostics,
        "pages_with_problems": with_problems,
    }


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}–{max(values):.2f}" if values else "–"


def write_report(
    results: list[dict[str, Any]], runs: int, out: Path, notes: list[str] | None = None
) -> None:
    lines = [
        "# `generator check` on real-shaped trees, against `jekyll build`",
        "",
        f"Made by `benchmarks/realshaped.py --runs {runs}` on {time.strftime('%Y-%m-%d')}; "
        "the method is in that script's docstring: trees made from the real sample by "
        "varying it (every page's text its own, a fifth of the pages with template tags "
        "of their own, partials shared by about ten pages, about one distinct set of tags "
        "for four pages, include_relative, data files, a share of the pages with "
        "something to report, given below). Seconds are medians of the runs (spread in "
        "brackets), all "
        "measured in one run of the script on this machine (2 cores); the check runs with "
        "its defaults (`--jobs auto`, the text report).",
        "",
        "| pages | jekyll build (clean) | check, clean | check, repeated | check, after a "
        "partial edit (10 pages) | clean ratio | repeated ratio | edit ratio | check peak "
        "memory |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for result in results:
        s = result["samples"]
        jekyll = median(s["jekyll"])

        def ratio(key: str, jekyll: float | None = jekyll, s: dict = s) -> str:
            mine = median(s[key])
            return f"{jekyll / mine:.1f}x" if jekyll and mine else "–"

        def cell(key: str, s: dict = s) -> str:
            value = median(s[key])
            return f"{value:.2f} s ({spread(s[key])})" if value is not None else "–"

        peak = max(result["peak_kib"]) / 1024 if result["peak_kib"] else 0
        lines.append(
            f"| {result['tree']['pages']:,} | {cell('jekyll')} | {cell('clean')} | "
            f"{cell('repeated')} | {cell('edited')} | {ratio('clean')} | "
            f"{ratio('repeated')} | {ratio('edited')} | {peak:.0f} MiB |"
        )
    lines += ["", "Trees:", ""]
    for result in results:
        tree = result["tree"]
        load = result.get("load_average")
        lines.append(
            f"- {tree['pages']:,} pages ({tree.get('with_own_tags', 0):,} with template tags "
            f"of their own), {tree['distinct_partials']:,} partial files; "
            f"{result['pages_with_problems']:,} pages with something reported "
            f"({result['diagnostics']:,} diagnostics)"
            + (
                f"; load average after its runs {load[0]:.1f} (1 min), {load[1]:.1f} (5 min)."
                if load
                else "."
            )
        )
    lines += [
        "",
        "Targets of issue 19 at the largest size (ratios to a clean Jekyll build "
        "in the same run): clean check at least 5x, repeated check at least 20x, check "
        "after a partial edit at least 20x, peak memory under 150 MiB.",
        "",
    ]
    lines += [f"- {note}" for note in notes or []]
    if not any(r["samples"]["jekyll"] for r in results):
        lines += ["", "Jekyll was not on this machine: no ratios (`make jekyll` installs it)."]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        default="1000,10000",
        help="approximate page counts, comma-separated (default 1000,10000)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--out", type=Path, default=HERE / "REAL-TREES.md")
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a line for the report (what the figures mean, what stands in "
        "the way); may be repeated",
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="measure nothing: write the report again from the JSON file",
    )
    args = parser.parse_args()
    if not SAMPLE.is_dir():
        sys.stderr.write(f"realshaped: the sample tree is missing: {SAMPLE}\n")
        return 2
    raw = args.out.with_suffix(".json")
    if args.report_only:
        write_report(json.loads(raw.read_text(encoding="utf-8")), args.runs, args.out, args.note)
        print(args.out.read_text(encoding="utf-8"))
        return 0
    results = []
    with tempfile.TemporaryDirectory(prefix="realshaped-") as temporary:
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"measuring {size} pages ...", flush=True)
            results.append(measure(size, args.runs, Path(temporary)))
    raw.write_text(json.dumps(results, indent=1), encoding="utf-8")
    write_report(results, args.runs, args.out, args.note)
    print(args.out.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
