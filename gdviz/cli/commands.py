"""The command line: parses options into a small config and calls the library. No click below here."""

from __future__ import annotations

import gc
import logging
import os
import re
import sys
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import click

from gdviz.animation.sizes import check_size, styled
from gdviz.cli import exits
from gdviz.cli import options as kinds
from gdviz.cli.options import Checked, CommaList
from gdviz.errors import GdvizError
from gdviz.problems.data import PRESETS, csv_columns, read_csv
from gdviz.problems.formulas import LOSS_NAMES, MODELS
from gdviz.problems.functions import FUNCTIONS, function_of_text
from gdviz.problems.optimizers import OPTIMIZERS
from gdviz.problems.schedules import FORMS as SCHEDULES
from gdviz.problems.schedules import parse as parse_schedule
from gdviz.run.plane import KINDS as PLANES
from gdviz.system import interrupts
from gdviz.system.files import Outputs
from gdviz.system.lazy import collector_paused
from gdviz.system.progress import Progress
from gdviz.views import names as views

# Options that change how runs are trained, so they mean nothing with --run.
TRAINING = ("model", "loss", "hidden", "optimizer", "lr", "steps", "init", "seed", "box")
TRAINING += ("batch_size", "schedule", "standardize", "no_zero_grad")


@dataclass(frozen=True)
class Source:
    """Where the runs come from: a preset, a CSV file, a function or formula, or saved runs."""

    kind: str  # "dataset" | "csv" | "function" | "formula" | "run"
    name: str  # the preset or function name, the formula, or the (first) file's stem
    paths: tuple[Path, ...] = ()
    x: tuple[str, ...] = ()
    y: str | None = None

    @property
    def stem(self) -> str:
        """The start of default file names: ``formula`` for a formula, else the name."""
        return "formula" if self.kind == "formula" else self.name


@dataclass(frozen=True)
class AnimateConfig:
    """Everything `gdviz animate` was asked to do, checked."""

    source: Source
    view: str | None  # None: the fit view where it can draw the runs, else one that can
    out: Path | None  # None: SOURCE-VIEW.gif in the current folder
    optimizers: tuple[str | None, ...] = (None,)
    lrs: tuple[float | None, ...] = (None,)
    training: dict[str, Any] = field(default_factory=dict)  # the rest of train's keywords
    frames: int | None = None
    fps: float = 20
    size: tuple[int, int] | None = None
    dpi: float | None = None
    style: str | None = None
    save_run: Path | None = None
    quiet: bool = False
    show: tuple[str, ...] = ()
    frame: int | None = None  # the still's training step


# -- commands -----------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gdviz")
def cli():
    """gdviz: turn gradient descent into pictures that move."""


def option(*names, **kwargs):
    return click.option(*names, show_default="default" in kwargs, **kwargs)


Number = CommaList("number[,number...]", kinds.number)
FUNCTION = Checked("NAME|FORMULA", function_of_text)
FILE, OUT = click.Path(exists=True, dir_okay=False), click.Path(dir_okay=False)


@cli.command()
@option("--dataset", type=click.Choice(list(PRESETS)), help="A preset (see `gdviz datasets`).")
@option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False), help="A CSV file.")
@option("--x", "x_col", type=CommaList("COL[,COL]", str), help="Its input column(s).")
@option("--y", "y_col", metavar="COL", help="Its target column.")
@option("--function", type=FUNCTION, help=f"{', '.join(FUNCTIONS)}, or a formula in x and y.")
@option("--run", "run_files", type=FILE, multiple=True, callback=kinds.npz, help="Saved run(s).")
@option("--model", type=click.Choice([*MODELS, "mlp"]), help="What to fit [the dataset's; line].")
@option("--hidden", type=CommaList("W[,W...]", kinds.width), help="Layer widths of --model mlp.")
@option("--loss", type=click.Choice(list(LOSS_NAMES)), help="The loss [the dataset's; mse].")
@option("--optimizer", type=CommaList("O[,O...]", kinds.optimizer), help=", ".join(OPTIMIZERS))
@option("--lr", type=CommaList("lr[,lr...]", kinds.rate), help="Learning rate(s) [fair defaults].")
@option("--steps", type=kinds.Whole(min=1), help="Number of updates [the problem's].")
@option("--init", type=Number, help="Starting parameters, comma-separated.")
@option("--seed", type=kinds.Whole(min=0, max=2**63 - 1), help="Seed for torch and the data.")
@option("--standardize", is_flag=True, help="Train on z-scored columns; report in their units.")
@option("--batch-size", type=kinds.Whole(min=1), help="Minibatch SGD: points per update.")
@option("--schedule", type=Checked("SCHEDULE", parse_schedule), help=", ".join(SCHEDULES))
@option("--box", type=Number, help="XMIN,XMAX[,YMIN,YMAX]: the contour view's region.")
@option("--plane", type=click.Choice(PLANES), default="pca", help="The plane for 3+ parameters.")
@option("--no-zero-grad", is_flag=True, help="Never zero the gradients (the classic bug).")
@option("--view", type=click.Choice(views.NAMES), help="What to draw [fit; contour for functions].")
@option(
    "--show", type=CommaList("WHAT[,WHAT]", kinds.shown), help="internals, curvature: see the docs."
)
@option("--frames", type=kinds.Whole(min=2, max=100_000), help="Frames [every step to 200].")
@option("--fps", type=kinds.Real(min=0.1, max=100), default=20, help="Frames per second.")
@option("--size", type=Checked("WxH", kinds.size), help="Pixels [640x480; dashboard 1280x440].")
@option("--dpi", type=kinds.Real(min=20, max=600), help="Dots per inch [100; slide 225].")
@option("--style", type=click.Choice(["slide"]), help="slide: 1920x1080, everything scaled up.")
@option(
    "--out",
    type=OUT,
    callback=kinds.output,
    help=".gif .mp4 .html, or a still: .png .svg .pdf [SOURCE-VIEW.gif].",
)
@option("--frame", type=kinds.Whole(min=0), help="For a still: the step it shows [the last].")
@option("--save-run", type=OUT, callback=kinds.npz, help="Also save the run(s) to this .npz file.")
@option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def animate(**options):
    """Train (or load) runs and write an animation of them."""
    run_animate(make_config(options))


def make_config(o: dict) -> AnimateConfig:
    """Check how the options combine (usage errors, before torch loads), pack them in a config."""
    flag = {k: "--" + k.split("_col")[0].replace("_file", "").replace("_", "-") for k in o}
    flag["run_files"] = "--run"
    given = [n for n in ("dataset", "csv_file", "function", "run_files") if o[n]]
    _refuse(len(given) > 1, f"give one source, not {' and '.join(flag[n] for n in given)}")
    _refuse(bool(o["csv_file"]) != bool(o["x_col"] and o["y_col"]), "--csv goes with --x and --y")
    function, box = o["function"], o["box"]
    if o["run_files"]:
        source = Source("run", o["run_files"][0].stem, o["run_files"])
        extra = [flag[n] for n in TRAINING if o[n]] + ["--plane"] * (o["plane"] != "pca")
        _refuse(extra, f"--run draws recorded runs; {', '.join(extra)} cannot change them")
        _refuse(o["save_run"], "--save-run saves a training's runs; --run reads saved ones")
    elif function:
        source = Source("function" if function in FUNCTIONS else "formula", function)
        extra = [flag[n] for n in ("model", "loss", "hidden", "standardize", "batch_size") if o[n]]
        _refuse(extra, f"--function has no data: {', '.join(extra)} does not apply")
        _refuse(o["view"] == "fit", "--function has no data to fit: use --view contour or loss")
        _refuse(source.kind == "formula" and not o["init"], "a formula needs its start: --init X,Y")
    elif o["csv_file"]:
        path = Path(o["csv_file"])
        source = Source("csv", path.stem, (path,), o["x_col"], o["y_col"])
        header = csv_columns(path)  # a misspelt column is said before torch loads
        for name in [*o["x_col"], o["y_col"]]:
            it_has = ", ".join(header)[:200]
            _refuse(name not in header, f"{path.name} has no column {name!r} (it has: {it_has})")
        _refuse(
            len(o["x_col"]) > 2 and o["view"] == "fit",
            "the fit view draws one or two input columns: use --view contour, loss or dashboard",
        )
    else:
        source = Source("dataset", o["dataset"] or "synthetic")
    still = o["out"] is not None and o["out"].suffix.lower() in kinds.STILLS
    _refuse(
        o["frame"] is not None and not still,
        "--frame picks the step of a still: --out a .png, .svg or .pdf",
    )
    moons = source.name == "moons" and source.kind == "dataset"
    _refuse(o["hidden"] and o["model"] != "mlp" and not moons, "--hidden is for --model mlp")
    if box is not None:
        _refuse(len(box) not in (2, 4), "--box takes XMIN,XMAX or XMIN,XMAX,YMIN,YMAX")
        box = tuple(zip(box[::2], box[1::2]))
        _refuse(not all(lo < hi for lo, hi in box), "--box needs each minimum below its maximum")
    _check_counts(source, o, box)
    training = {k: o[k] for k in ("model", "loss", "hidden", "steps", "init", "seed")}
    training.update(box=box, batch_size=o["batch_size"], schedule=o["schedule"])
    training.update(standardize=o["standardize"] or None, zero_grad=not o["no_zero_grad"] or None)
    training.update(plane=o["plane"] if o["plane"] != "pca" else None)
    show = o["show"] or ()
    if "curvature" in show and source.kind != "run":
        training["curvature"] = True
    view = o["view"] or views.drawn_on(show) or ("contour" if function else None)
    for what in show:
        _refuse(
            view not in views.SHOWN[what],
            f"--show {what} draws on the {views.SHOWN[what][0]} view: use --view "
            f"{views.SHOWN[what][0]} or dashboard",
        )
    size = tuple(int(v) for v in re.split(r"[xX×]", o["size"].strip())) if o["size"] else None
    try:
        check_size(*styled(o["style"], size, o["dpi"]), view or "fit")
    except GdvizError as exc:
        raise click.BadParameter(str(exc), param_hint="--size / --dpi") from None
    return AnimateConfig(
        source=source,
        view=view,
        out=o["out"] or (Path(f"{source.stem}-{view}.gif") if view else None),
        optimizers=o["optimizer"] or (None,),
        lrs=o["lr"] or (None,),
        training={k: v for k, v in training.items() if v is not None},
        frames=o["frames"],
        fps=o["fps"],
        size=size,
        dpi=o["dpi"],
        style=o["style"],
        save_run=o["save_run"],
        frame=o["frame"],
        quiet=o["quiet"],
        show=tuple(dict.fromkeys(show)),
    )


def _refuse(wrong, message: str) -> None:
    if wrong:
        raise click.UsageError(message)


def _check_counts(source: Source, o: dict, box) -> None:
    """--init and --box sized for the parameters, where they are known without torch."""
    from gdviz.problems.functions import parameter_names

    columns = len(source.x) or 1
    if o["model"] is None and columns > 1 and o["loss"] in ("bce", "cross_entropy"):
        return  # classes on several columns: an mlp, its size known once it is built
    names = parameter_names(
        source.name if source.kind in ("function", "formula") else None,
        dataset=source.name if source.kind == "dataset" else None,
        model=o["model"],
        columns=columns,
    )
    if names is None:
        return  # a network: its size is known once it is built
    _refuse(
        o["loss"] == "cross_entropy" and source.kind in ("dataset", "csv"),
        "--loss cross_entropy needs one score per class: use --model mlp",
    )
    init, count = o["init"], f"{len(names)} parameters ({', '.join(names)})"
    if init and len(init) != len(names):
        raise click.BadParameter(f"{len(init)} values for {count}", param_hint="--init")
    if box and source.kind in ("function", "formula") and len(box) != min(len(names), 2):
        raise click.BadParameter(f"{len(box) * 2} numbers for {count}", param_hint="--box")


@cli.command()
def datasets():
    """List the data sets and test functions, with their sources and defaults."""
    from gdviz.problems.functions import catalogue

    click.echo(catalogue())


@cli.command()
@option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the site.")
@option("--source", type=click.Path(exists=True, file_okay=False), help="Example scripts.")
@option("--jobs", type=kinds.Whole(min=1, max=64), default=2, help="Examples run at once.")
@option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def gallery(out, source, jobs, quiet):
    """Run every gallery example and write a static site (index.html) into OUT."""
    from gdviz.cli.gallery import build

    OUTPUTS.expect_folder(out)
    OUTPUTS.expect(Path(out) / "index.html")

    def report(result, done, total):
        if quiet and not result.error:
            return
        status = f"failed: {result.error}" if result.error else ", ".join(result.media)
        click.echo(
            f"[{done}/{total}] {result.example.name} ({result.seconds:.1f} s): {status}", err=True
        )

    results = build(Path(out), source=Path(source) if source else None, jobs=jobs, on_result=report)
    failed = [r.example.name for r in results if r.error]
    if failed:
        raise GdvizError(
            f"{len(failed)} of {len(results)} examples failed: {', '.join(failed)} "
            f"(the site in {out} shows the others)"
        )
    if not quiet:
        click.echo(str(Path(out) / "index.html"))


# -- doing the work -----------------------------------------------------------------------------


OUTPUTS = Outputs()


def run_animate(config: AnimateConfig) -> None:
    """Make the runs, draw them, write the file(s) and say where (-q: no progress bars)."""
    with Progress.hushed(config.quiet):
        _run_animate(config)


def _run_animate(config: AnimateConfig) -> None:
    from gdviz.export import check_target  # before any work: a bad target fails fast

    check_target(config.out or Path(f"{config.source.stem}-fit.gif"))
    if config.save_run is not None:
        from gdviz.system.files import check_writable

        check_writable(config.save_run)
    runs = make_runs(config)
    say = (lambda *a: None) if config.quiet else click.echo
    Progress.quiet = config.quiet  # training's and the planes' bars too
    view = config.view
    if view is None:
        from gdviz.views.registry import default_view

        view, why = default_view(runs)
        if why is not None:
            click.echo(f"gdviz: {why}: drawing --view {view}", err=True)
    out = config.out or Path(f"{config.source.stem}-{view}.gif")
    OUTPUTS.expect(out)
    _notes(runs, config)
    if config.save_run is not None:
        _save_runs(runs, config.save_run, say)

    with collector_paused():  # the figure's modules, and the writers'
        from gdviz import export  # noqa: F401
        from gdviz.animation.animation import animate

    anim = animate(
        runs,
        view=view,
        frames=config.frames,
        fps=config.fps,
        size=config.size,
        dpi=config.dpi,
        style=config.style,
        show=config.show,
    )
    if out.suffix.lower() != ".html" and config.frame is None:
        anim.keep_seen()  # a page shows every snapshot; a video its frames; --frame any step
    snapshots = sum(len(r.loss) for r in runs)
    del runs  # memory follows the frames: the animation holds what they show
    if snapshots > LONG_RUNS:  # and long runs go now: reference cycles would hold them until
        gc.collect()  # later (a collection costs 0.1 s, more than a short run's arrays weigh)
    interrupts.check_interrupted()
    anim.save(out, progress=False if config.quiet else None, frame=config.frame)
    say(str(out))


def _notes(runs: list, config: AnimateConfig) -> None:
    """Say on stderr which runs diverged, and which ended far from converged."""
    from gdviz.run.convergence import note

    for run in runs:
        who = f"gdviz: {run.label}: " if len(runs) > 1 else "gdviz: "
        if run.diverged_at is not None:
            click.echo(
                f"{who}diverged at step {run.diverged_at}; "
                f"rendering the {len(run.loss)} snapshots recorded before it",
                err=True,
            )
        elif config.source.kind != "run" and (said := note(run)) is not None:
            click.echo(f"{who}{said}", err=True)


def _save_runs(runs: list, target: Path, say) -> None:
    from gdviz.training.races import run_files

    paths = run_files(target, runs)
    for path in paths:
        OUTPUTS.expect(path)
    saved = []
    try:  # a race's files are written all or none: half a race saved is not the race
        for path, run in zip(paths, runs):
            interrupts.check_interrupted()
            run.save(path)
            saved.append(path)
    except BaseException as exc:
        for path in saved:
            path.unlink(missing_ok=True)
        if saved and isinstance(exc, GdvizError):
            raise GdvizError(
                f"{exc}; the {len(saved)} run file(s) written before it were removed"
            ) from None
        raise
    for path in saved:
        say(f"saved run {path}")


LONG_RUNS = 100_000  # snapshots over all runs: past this, their arrays are let go at once


def make_runs(config: AnimateConfig) -> list:
    """The runs to draw: loaded, or trained by `gdviz.sweep` (torch loads only then)."""
    source = config.source
    if source.kind == "run":
        with collector_paused():
            from gdviz.run.record import load

        return [load(path) for path in source.paths]

    # torch loads here, and an interrupt inside its C++ would abort
    with interrupts.deferred(), collector_paused():
        from gdviz.training.races import sweep

    if source.kind == "csv":
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always", UserWarning)
            data = read_csv(
                source.paths[0], source.x if len(source.x) > 1 else source.x[0], source.y
            )
        for said in seen:  # rows dropped for empty cells
            click.echo(f"gdviz: {said.message}", err=True)
    else:
        data = source.name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence and convergence are said once, above
        runs = sweep(
            data, optimizer=list(config.optimizers), lr=list(config.lrs), **config.training
        )
    if source.kind == "csv":
        names = {"x_label": source.x[0]} if len(source.x) == 1 else {"columns": tuple(source.x)}
        for run in runs:
            labelled = replace(run.problem, source=source.name, y_label=source.y, **names)
            run.meta.update(labelled.to_meta())
    return runs


# -- entry point --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure at run time, 2 usage)."""
    OUTPUTS.clear()  # this command's files only (main can run more than once in a process)
    interrupts.catch_signals()
    logging.basicConfig(level=logging.WARNING, format="gdviz: %(message)s")
    try:
        status = cli.main(args=argv, prog_name="gdviz", standalone_mode=False)
        interrupts.check_interrupted()
        return status if isinstance(status, int) else 0
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(exits.interrupted(OUTPUTS), err=True)
        return 130
    except Exception as exc:
        if interrupts.signalled():
            # A library turned the interrupt into another error (matplotlib's renderer raises
            # "Invalid bounding box"): it is still an interrupt.
            click.echo(exits.interrupted(OUTPUTS), err=True)
            return 130
        if os.environ.get("GDVIZ_DEBUG") and not isinstance(exc, GdvizError | OSError):
            raise
        click.echo(exits.failure(exc), err=True)
        return 1


if __name__ == "__main__":
    sys.exit(main())
