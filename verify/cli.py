"""The ``atv`` command line: run | claims | latex | check-bound | bench (DESIGN.md, CLI contract).

Exit codes: 0 the run completed (check-bound: no counterexample); 1 with --strict when any claim is VIOLATED
(check-bound: a counterexample); 2 bad usage, configuration or expression (one line on stderr, no traceback);
130 interrupted (results so far are kept in results.json).
"""
from __future__ import annotations

import platform
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

# The heavy modules (torch, scipy, the claim registry) are imported inside the commands that use them, so a
# refused expression or option is answered in well under a second.

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Verify the theory of adversarial training against real networks.")
#: piped output (logs, CI) gets room for full claim ids; a terminal keeps its own width
console = Console(width=None if sys.stdout.isatty() else 120)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 120)


def fail(message: str) -> typer.Exit:
    err_console.print(f"atv: error: {message}", highlight=False, markup=False, soft_wrap=True)
    return typer.Exit(code=2)


def run_metadata(profile: dict, device: str, seed: int, executor: str) -> dict:
    versions = {"python": platform.python_version()}
    for package in ("adversarial-theory-verifier", "torch", "sympy", "mpmath", "numpy", "scipy", "hypothesis", "ray"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {"versions": versions, "device": device, "executor": executor, "seed": seed, "profile": profile,
            "git_revision": git_revision(), "started": now(), "finished": None, "state": "running",
            "argv": sys.argv[1:]}


def git_revision() -> str | None:
    root = Path(__file__).resolve().parent.parent
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    if rev.returncode != 0:
        return None
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def split_globs(only: Optional[str]) -> list[str] | None:
    return [p for p in only.split(",")] if only else None


@app.command()
def run(
    profile: str = typer.Option("quick", help="quick (CPU, minutes) | paper (the paper's sizes, GPU) | paper-cpu | full"),
    only: Optional[str] = typer.Option(None, help="comma-separated claim-id globs, e.g. 'mf.thm4_1.*'"),
    device: Optional[str] = typer.Option(None, help="auto | cpu | cuda | cuda:<index> (default: the profile's)"),
    seed: int = typer.Option(0, help="run seed; the same seed gives the same verdicts on any executor"),
    out: Path = typer.Option(Path("atv-out"), help="output folder for results.json"),
    strict: bool = typer.Option(False, help="exit 1 when any claim is VIOLATED"),
    set_: list[str] = typer.Option([], "--set", help="override a setting, e.g. --set N=256 (repeatable)"),
    config: Optional[Path] = typer.Option(None, help="TOML file of settings overriding the profile"),
    figures: bool = typer.Option(True, help="draw the run's figures (PNG and PDF) into OUT"),
    executor: str = typer.Option("local", help="local (in this process) | ray (Ray tasks; pip install -e '.[ray]')"),
    address: Optional[str] = typer.Option(None, help="Ray cluster address (default: start a local cluster)"),
) -> None:
    """Run the verification suite and write OUT/results.json."""
    from fnmatch import fnmatchcase

    from numerics.device import DeviceError, check_spelling, describe, resolve
    from numerics.experiment import PROBES, RegistrationError
    from numerics.random import check_seed
    from report.figures import draw_all, drawers
    from theory.claims import UnknownClaimError
    from theory.registry import load
    from verify.catalog import catalog
    from verify.console import (LEGEND, ProgressBars, figures_tables, tolerance_summary, verdict_table,
                                violations_table)
    from verify.executors import ExecutorError, make_executor
    from verify.profiles import ProfileError, get_profile, load_config, parse_set
    from verify.schema import ResultsWriter
    from verify.suite import Suite
    from verify.verdict import Status

    try:
        check_seed(seed)
        chosen = get_profile(profile)
        overrides = {**(load_config(config) if config else {}), **parse_set(set_)}
        chosen = chosen.with_overrides(overrides) if overrides else chosen
        entries = catalog()
        claims = load().select(split_globs(only))
        requested = check_spelling(device or chosen.device)
        # a local run resolves its device here (and refuses an absent GPU now); Ray workers resolve their own
        job_device = str(resolve(requested)) if executor == "local" else requested
        runner = make_executor(executor, address)
        probes = [probe for probe in PROBES.values() if figures and any(
            fnmatchcase(claim.id, pattern) for claim in claims for pattern in probe.claims)]
        undrawn = [probe.name for probe in probes if probe.name not in drawers()]
        if undrawn:
            raise RegistrationError(f"no report module draws the figure {undrawn[0]!r}")
        suite = Suite(chosen, seed, job_device, runner)
        plan = suite.plan([entries[claim.id] for claim in claims], probes)  # checks every claim at every point
    except (ProfileError, UnknownClaimError, RegistrationError, DeviceError, ExecutorError, ValueError) as err:
        raise fail(str(err.args[0] if err.args else err)) from None
    where = describe(job_device) if executor == "local" else f"ray ({address or 'local cluster'}), {requested}"
    writer = ResultsWriter(out, run_metadata(chosen.describe(), where, seed, executor), [c.id for c in claims])
    console.print(f"[bold]atv run[/] profile={chosen.name} ({chosen.description}), device={where}, "
                  f"seed={seed}, {len(claims)} claim(s) -> {writer.path}")
    verdicts = []
    state = "failed"
    try:
        with ProgressBars(console) as bars:
            claims_done = bars.task("claims", len(claims), keep=True)

            def record(verdict) -> None:
                verdicts.append(verdict)
                writer.add(verdict.to_json())
                claims_done(1)

            runner.progress = bars.task
            suite.on_verdict = record
            verdicts, data = suite.execute(plan)
        if data:
            files = draw_all(data, out)
            writer.add_figures(data, files)
            console.print(f"figures: {', '.join(f for f in files if f.endswith('.png'))} in {out}")
        state = "complete"
    except KeyboardInterrupt:
        state = "interrupted"
        err_console.print(f"atv: interrupted; {len(verdicts)} verdict(s) kept in {writer.path}")
        raise typer.Exit(code=130) from None
    except ExecutorError as err:
        raise fail(str(err)) from None
    finally:
        writer.finish(state, now())
    console.print(verdict_table(verdicts))
    for extra in (*figures_tables(verdicts), violations_table(verdicts)):
        if extra is not None:
            console.print(extra)
    console.print(LEGEND, style="dim")
    console.print(tolerance_summary(claims))
    counts = {s: sum(v.status is s for v in verdicts) for s in Status}
    console.print(", ".join(f"{n} {s.value}" for s, n in counts.items()) + f"; results in {writer.path}")
    if strict and counts[Status.VIOLATED]:
        raise typer.Exit(code=1)


@app.command()
def latex(
    results: Optional[Path] = typer.Option(None, help="a results.json whose verdicts and figures to include"),
    out: Path = typer.Option(Path("atv-out"), help="folder for derivations.tex and derivations.pdf"),
) -> None:
    """Write the LaTeX derivations (from the SymPy objects) and compile them to PDF when LaTeX is installed."""
    import json
    import shutil

    from report.latex import compile_pdf, render
    from theory.registry import REGISTRY

    data = None
    if results is not None:
        try:
            data = json.loads(Path(results).read_text())
        except (OSError, ValueError) as err:
            raise fail(f"cannot read results file {str(results)!r}: {err}") from None
    out.mkdir(parents=True, exist_ok=True)
    figures = (data or {}).get("metadata", {}).get("figures", [])
    for name in figures:
        source = Path(results).parent / name
        if source.exists() and source.resolve() != (out / name).resolve():
            shutil.copy(source, out / name)
    tex_path = out / "derivations.tex"
    tex_path.write_text(render(REGISTRY, data, [f for f in figures if (out / f).exists()]))
    pdf, message = compile_pdf(tex_path)
    console.print(f"wrote {tex_path}; {message}" + (f": {pdf}" if pdf else ""))
    if pdf is None and "failed" in message:
        raise typer.Exit(code=1)


@app.command()
def claims(only: Optional[str] = typer.Option(None, help="comma-separated claim-id globs")) -> None:
    """List the registered claims with their source and provenance."""
    from theory.claims import UnknownClaimError
    from theory.registry import REGISTRY
    from verify.console import claims_table

    try:
        chosen = REGISTRY.select(split_globs(only))
    except UnknownClaimError as err:
        raise fail(str(err.args[0])) from None
    console.print(claims_table(chosen))


@app.command("check-bound")
def check_bound_command(
    expr: str = typer.Argument(..., help="the bound, e.g. 'eps*(1 + sqrt(K/d))*sqrt(omega**L)'"),
    quantity: str = typer.Option(..., help="jacobian_opnorm | adv_loss"),
    p: str = typer.Option(..., help="1 | 2 | oo: the perturbation norm"),
    q: str = typer.Option(..., help="1 | 2 | oo: the output norm"),
    arch: str = typer.Option("vanilla", help="vanilla | residual"),
    examples: int = typer.Option(200, help="configurations to generate"),
    seed: int = typer.Option(0, help="search seed; the same seed gives the same result"),
    domain: list[str] = typer.Option([], help="narrow or widen the sampling domain: KEY=LO:HI (repeatable)"),
    at: Optional[str] = typer.Option(None, help="evaluate one configuration, as printed with a counterexample"),
) -> None:
    """Hunt for a configuration where QUANTITY exceeds the bound EXPR (Hypothesis, shrunk counterexample)."""
    from theory.papers import quantities, vocabulary
    from verify.expr import ExpressionError, parse

    words = vocabulary(quantity)
    if words is None:
        raise fail(f"--quantity must be one of {', '.join(quantities())}, got {quantity!r}")
    try:
        parse(expr, words.symbols)  # refuse a bad expression before torch is imported
    except ExpressionError as err:
        raise fail(str(err)) from None
    from verify.checker import CheckError, check_bound, parse_domain, validate

    try:
        validate(quantity, p, q, arch, examples)
        ranges = parse_domain(domain, quantity)
        point = dict(item.split("=", 1) for item in at.split(",")) if at else None
        if at is not None and not all(point.values()):
            raise CheckError(f"--at expects KEY=VALUE,KEY=VALUE,..., got {at!r}")
        console.print(f"[bold]atv check-bound[/] {quantity} ||.||_{p}->{q}, {arch} networks, seed {seed}")
        if point is None:
            console.print("domain: " + ", ".join(f"{k} in [{lo}, {hi}]" for k, (lo, hi) in ranges.items()), style="dim")
        with console.status("searching for a counterexample"):
            result = check_bound(expr, quantity, p, q, arch=arch, examples=examples, seed=seed, domain=ranges,
                                 at=point)
    except (ExpressionError, CheckError, ValueError) as err:  # ValueError: e.g. an --at value out of range
        raise fail(str(err)) from None
    if result.found:
        values = ", ".join(f"{k}={v!r}" for k, v in result.config.items())
        console.print(f"[bold red]counterexample[/] after {result.examples} configuration(s), {result.seconds:.1f} s")
        console.print(f"  configuration: {values}")
        console.print(f"  observed {result.observed:.6g} > bound {result.bound:.6g} (ratio {result.ratio:.4g})")
        at_text = ",".join(f"{k}={v!r}" for k, v in result.config.items())
        console.print(f"  reproduce: atv check-bound {shlex.quote(expr)} --quantity {quantity} --p {result.p} "
                      f"--q {result.q} --arch {arch} --at {shlex.quote(at_text)}", soft_wrap=True)
        raise typer.Exit(code=1)
    console.print(f"[bold green]no counterexample[/] in {result.examples} configuration(s), {result.seconds:.1f} s; "
                  f"largest measured/bound {result.largest_ratio:.4g}")
    if result.largest_config:
        console.print("  closest: " + ", ".join(f"{k}={v!r}" for k, v in result.largest_config.items()))


@app.command()
def bench(
    device: str = typer.Option("auto", help="auto | cpu | cuda | cuda:<index>"),
    dtype: str = typer.Option("float64", help="float64 | float32: the dtype of the quick-size measurements"),
    only: Optional[str] = typer.Option(None, help="comma-separated measurements: generation, chain, naive, paper, cost"),
    json_out: bool = typer.Option(False, "--json", help="print the figures as JSON (schema: verify.bench.BENCH_SCHEMA)"),
) -> None:
    """Measure the hot paths: each side of every ratio timed with torch.utils.benchmark, the two sides interleaved;
    every figure a median with its spread."""
    import json

    import jsonschema
    import torch
    from rich.table import Table

    from numerics.device import DeviceError, resolve
    from verify.bench import BENCH_SCHEMA, MEASUREMENTS, run_bench

    chosen = tuple(split_globs(only) or MEASUREMENTS)
    if dtype not in ("float64", "float32"):
        raise fail(f"--dtype must be float64 or float32, got {dtype!r}")
    unknown = [name for name in chosen if name not in MEASUREMENTS]
    if unknown:
        raise fail(f"--only takes {', '.join(MEASUREMENTS)}, got {unknown[0]!r}")
    try:
        resolved = resolve(device)
    except DeviceError as err:
        raise fail(str(err)) from None
    status = err_console if json_out else console
    with status.status("benchmarking") as spinner:
        result = run_bench(resolved, getattr(torch, dtype), only=chosen,
                           progress=lambda step: spinner.update(f"benchmarking: {step}"))
    if json_out:
        data = result.to_json()
        jsonschema.validate(data, BENCH_SCHEMA)
        print(json.dumps(data, indent=2))
        return
    table = Table(title=f"atv bench on {result.device}, {result.dtype}; median [interquartile range over runs, or "
                        "range over interleaved rounds for ratios]", header_style="bold")
    for name in ("measurement", "result", "against"):
        table.add_column(name)
    for row in result.rows():
        table.add_row(*row)
    console.print(table)


def main() -> None:
    app()
