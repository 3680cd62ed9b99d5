"""The command line: parses options into a small config and calls the library. No click below here."""

from __future__ import annotations

import signal
import sys


def _interrupted_while_starting(signum, frame):
    # Until main() takes over, an interrupt ends gdviz quietly: nothing has been written yet.
    sys.stderr.write("gdviz: interrupted; nothing was written\n")
    raise SystemExit(130)


for _signal in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
    if _signal is not None:
        signal.signal(_signal, _interrupted_while_starting)

import logging  # noqa: E402 (after the handlers: an interrupt while importing is handled)
import math  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import click  # noqa: E402

from gdviz.data import PRESETS, csv_columns, read_csv  # noqa: E402
from gdviz.errors import GdvizError  # noqa: E402
from gdviz.expression import Expression  # noqa: E402
from gdviz.formulas import LOSS_NAMES, MODELS  # noqa: E402
from gdviz.functions import FUNCTIONS  # noqa: E402
from gdviz.optimizers import OPTIMIZERS  # noqa: E402
from gdviz.plane import KINDS as PLANES  # noqa: E402
from gdviz.schedules import FORMS as SCHEDULES  # noqa: E402
from gdviz.schedules import parse as parse_schedule  # noqa: E402

VIEW_NAMES = ("fit", "contour", "loss", "dashboard")
SUFFIXES = (".gif", ".mp4", ".html", ".png")
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
    view: str
    out: Path
    optimizers: tuple[str | None, ...] = (None,)
    lrs: tuple[float | None, ...] = (None,)
    training: dict[str, Any] = field(default_factory=dict)  # the rest of train's keywords
    frames: int | None = None
    fps: float = 20
    size: tuple[int, int] | None = None
    dpi: float = 100
    save_run: Path | None = None
    quiet: bool = False


# -- option types -------------------------------------------------------------------------------


class CommaList(click.ParamType):
    """A comma-separated list, each item checked by ``one``."""

    def __init__(self, name: str, one):
        self.name, self.one = name, one

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        items = [s.strip() for s in str(value).split(",")]
        if not all(items):
            self.fail(f"{value!r} has an empty item", param, ctx)
        try:
            return tuple(self.one(s) for s in items)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def _optimizer(s: str) -> str:
    if s not in OPTIMIZERS:
        raise ValueError(f"{s!r} is not one of {', '.join(OPTIMIZERS)}")
    return s


def _number(s: str, *, positive: bool = False) -> float:
    try:
        v = float(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"{s!r} is not a finite number")
    if positive and v <= 0:
        raise ValueError(f"{s!r} must be a positive number")
    return v


def _width(s: str) -> int:
    if not s.isdigit() or not 1 <= int(s) <= 4096:
        raise ValueError(f"{s!r} is not a layer width from 1 to 4096")
    return int(s)


class Checked(click.ParamType):
    """A value checked by a library function that raises `GdvizError` (a formula, a schedule)."""

    def __init__(self, name: str, check):
        self.name, self.check = name, check

    def convert(self, value, param, ctx):
        try:
            self.check(value)
        except GdvizError as exc:
            self.fail(str(exc), param, ctx)
        return value


def _function(value: str) -> None:
    if value not in FUNCTIONS:
        try:
            Expression(value)
        except GdvizError as exc:
            raise GdvizError(f"{exc} (or name a function: {', '.join(FUNCTIONS)})") from None


def _size(value: str) -> None:
    m = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", str(value))
    if not m or min(int(m[1]), int(m[2])) < 100 or max(int(m[1]), int(m[2])) > 8000:
        raise GdvizError(f"{value!r} is not a size like 640x480 (100 to 8000 pixels a side)")


def _output(ctx, param, value):
    if value is not None and Path(value).suffix.lower() not in SUFFIXES:
        raise click.BadParameter(
            f"{value!r} has no known format suffix: use one of {', '.join(SUFFIXES)}", ctx, param
        )
    return None if value is None else Path(value)


def _run_files(ctx, param, value):
    if value is None:
        return None
    for v in [value] if isinstance(value, str) else value:
        if Path(v).suffix.lower() != ".npz":
            raise click.BadParameter(f"{v!r} must end in .npz", ctx, param)
    return Path(value) if isinstance(value, str) else tuple(Path(v) for v in value)


# -- commands -----------------------------------------------------------------------------------


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gdviz")
def cli():
    """gdviz: turn gradient descent into pictures that move."""


def option(*names, **kwargs):
    return click.option(*names, show_default="default" in kwargs, **kwargs)


Number = CommaList("number[,number...]", _number)


@cli.command()
@option("--dataset", type=click.Choice(list(PRESETS)), help="A preset (see `gdviz datasets`).")
@option("--csv", "csv_file", type=click.Path(exists=True, dir_okay=False), help="A CSV file.")
@option("--x", "x_col", type=CommaList("COL[,COL]", str), help="Its input column(s).")
@option("--y", "y_col", metavar="COL", help="Its target column.")
@option(
    "--function",
    type=Checked("NAME|FORMULA", _function),
    help=f"A function ({', '.join(FUNCTIONS)}) or a formula in x and y (with --init).",
)
@option(
    "--run",
    "run_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    callback=_run_files,
    help="Draw runs saved with --save-run (repeat to draw several together).",
)
@option("--model", type=click.Choice([*MODELS, "mlp"]), help="What to fit [the dataset's; line].")
@option("--hidden", type=CommaList("W[,W...]", _width), help="Layer widths of --model mlp.")
@option("--loss", type=click.Choice(list(LOSS_NAMES)), help="The loss [the dataset's; mse].")
@option("--optimizer", type=CommaList("O[,O...]", _optimizer), help=", ".join(OPTIMIZERS))
@option(
    "--lr",
    type=CommaList("lr[,lr...]", lambda s: _number(s, positive=True)),
    help="Learning rate(s) [each optimizer's own for the problem].",
)
@option("--steps", type=click.IntRange(min=1), help="Number of updates [the problem's].")
@option("--init", type=Number, help="Starting parameters, comma-separated.")
@option("--seed", type=click.IntRange(min=0, max=2**63 - 1), help="Seed for torch and the data.")
@option("--standardize", is_flag=True, help="Train on z-scored columns; report in their units.")
@option("--batch-size", type=click.IntRange(min=1), help="Minibatch SGD: points per update.")
@option(
    "--schedule",
    type=Checked("|".join(SCHEDULES), parse_schedule),
    help="Learning-rate schedule: " + ", ".join(SCHEDULES) + ".",
)
@option("--box", type=Number, help="XMIN,XMAX[,YMIN,YMAX]: the contour view's region.")
@option("--plane", type=click.Choice(PLANES), default="pca", help="The plane for 3+ parameters.")
@option("--no-zero-grad", is_flag=True, help="Never zero the gradients (the classic bug).")
@option("--view", type=click.Choice(VIEW_NAMES), help="What to draw [fit; contour for functions].")
@option("--frames", type=click.IntRange(min=2, max=100_000), help="Frames [every step to 200].")
@option("--fps", type=click.FloatRange(min=0.1, max=100), default=20, help="Frames per second.")
@option("--size", type=Checked("WxH", _size), help="Pixels [640x480; dashboard 1280x440].")
@option("--dpi", type=click.FloatRange(min=20, max=600), default=100, help="Dots per inch.")
@option(
    "--out",
    type=click.Path(dir_okay=False),
    callback=_output,
    help="Output: .gif .mp4 .html or .png [SOURCE-VIEW.gif].",
)
@option(
    "--save-run",
    type=click.Path(dir_okay=False),
    callback=_run_files,
    help="Also save the recorded run(s) to this .npz file.",
)
@option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def animate(**options):
    """Train (or load) runs and write an animation of them."""
    run_animate(make_config(options))


def make_config(o: dict) -> AnimateConfig:
    """Check how the options combine, and pack them into an `AnimateConfig`."""
    given = [n for n in ("dataset", "csv_file", "function", "run_files") if o[n]]
    if len(given) > 1:
        names = " and ".join(f"--{n.split('_')[0]}" for n in given)
        raise click.UsageError(f"give one source, not {names}")
    if o["csv_file"] and not (o["x_col"] and o["y_col"]):
        raise click.UsageError("--csv needs --x COL and --y COL naming its columns")
    if (o["x_col"] or o["y_col"]) and not o["csv_file"]:
        raise click.UsageError("--x and --y name CSV columns; give --csv FILE too")
    function = o["function"]
    if o["run_files"]:
        paths = o["run_files"]
        source = Source("run", paths[0].stem, paths)
        extra = [f"--{n.replace('_', '-')}" for n in TRAINING if o[n]]
        extra += ["--plane"] if o["plane"] != "pca" else []
        if extra:
            raise click.UsageError(
                f"--run draws recorded runs; {', '.join(extra)} cannot change them"
            )
        if o["save_run"]:
            raise click.UsageError("--save-run saves a training's runs; --run reads saved ones")
    elif function:
        source = Source("function" if function in FUNCTIONS else "formula", function)
        for n in ("model", "loss", "hidden", "standardize", "batch_size"):
            if o[n]:
                raise click.UsageError(
                    f"--function {function} has no data: --{n.replace('_', '-')} does not apply"
                )
        if o["view"] == "fit":
            raise click.UsageError(
                f"--function {function} has no data to fit: use --view contour, loss or dashboard"
            )
        if source.kind == "formula" and not o["init"]:
            raise click.UsageError(
                f"--function {function!r} is a formula: give its start with --init X,Y"
            )
    elif o["csv_file"]:
        path = Path(o["csv_file"])
        source = Source("csv", path.stem, (path,), o["x_col"], o["y_col"])
        header = csv_columns(path)  # a misspelt column is said before torch loads
        for flag, names in (("--x", o["x_col"]), ("--y", (o["y_col"],))):
            for name in names:
                if name not in header:
                    shown = ", ".join(header) if len(", ".join(header)) < 200 else "..."
                    raise click.BadParameter(
                        f"{path.name} has no column {name!r} (it has: {shown})", param_hint=flag
                    )
    else:
        source = Source("dataset", o["dataset"] or "synthetic")
    moons = source.kind == "dataset" and source.name == "moons"
    if o["hidden"] and o["model"] != "mlp" and not moons:
        raise click.UsageError("--hidden sets the layers of --model mlp")
    box = o["box"]
    if box is not None:
        if len(box) not in (2, 4):
            raise click.UsageError(
                f"--box takes XMIN,XMAX or XMIN,XMAX,YMIN,YMAX, not {len(box)} numbers"
            )
        if not all(lo < hi for lo, hi in zip(box[::2], box[1::2])):
            raise click.UsageError(
                "--box needs each minimum below its maximum (XMIN,XMAX,YMIN,YMAX)"
            )
        box = tuple(zip(box[::2], box[1::2]))
    training = {
        "model": o["model"],
        "loss": o["loss"],
        "hidden": o["hidden"],
        "steps": o["steps"],
        "init": o["init"],
        "seed": o["seed"],
        "box": box,
        "batch_size": o["batch_size"],
        "schedule": o["schedule"],
        "standardize": o["standardize"] or None,
        "zero_grad": False if o["no_zero_grad"] else None,
        "plane": o["plane"] if o["plane"] != "pca" else None,
    }
    _check_counts(source, o, box)
    view = o["view"] or ("contour" if function else "fit")
    size = None
    if o["size"]:
        width, height = re.split(r"[xX×]", o["size"].strip())
        size = (int(width), int(height))
    return AnimateConfig(
        source=source,
        view=view,
        out=o["out"] or Path(f"{source.stem}-{view}.gif"),
        optimizers=o["optimizer"] or (None,),
        lrs=o["lr"] or (None,),
        training={k: v for k, v in training.items() if v is not None},
        frames=o["frames"],
        fps=o["fps"],
        size=size,
        dpi=o["dpi"],
        save_run=o["save_run"],
        quiet=o["quiet"],
    )


def _check_counts(source: Source, o: dict, box) -> None:
    """--init (and --box) sized for the parameters, where they are known without torch."""
    if source.kind in ("function", "formula"):
        names = FUNCTIONS[source.name].variables if source.kind == "function" else None
        names = names or Expression(source.name).variables
    else:
        model = o["model"]
        if model is None and source.kind == "dataset":
            model = PRESETS[source.name].model
        if model is None and source.kind == "csv":
            model = "line" if len(source.x) == 1 else "mlp"
        if model not in MODELS:
            return  # a network: its size is known once it is built
        if o["loss"] == "cross_entropy":
            raise click.UsageError(
                f"--loss cross_entropy needs one score per class: use --model mlp, not {model}"
            )
        names = MODELS[model].param_names
    init = o["init"]
    if init and len(init) != len(names):
        raise click.BadParameter(
            f"{len(init)} values for {len(names)} parameters ({', '.join(names)})",
            param_hint="--init",
        )
    if box and source.kind in ("function", "formula") and len(box) != min(len(names), 2):
        raise click.BadParameter(
            f"{len(box) * 2} numbers for {len(names)} parameter(s): give XMIN,XMAX"
            + (",YMIN,YMAX" if len(names) > 1 else ""),
            param_hint="--box",
        )


@cli.command()
def datasets():
    """List the data sets and test functions, with their sources and defaults."""
    from gdviz.functions import catalogue

    click.echo(catalogue())


@cli.command()
@option("--out", type=click.Path(file_okay=False), required=True, help="Folder for the site.")
@option(
    "--source",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of example scripts [default: gdviz's gallery/].",
)
@option("--jobs", type=click.IntRange(min=1, max=64), default=2, help="Examples run at once.")
@option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
def gallery(out, source, jobs, quiet):
    """Run every gallery example and write a static site (index.html) into OUT."""
    from gdviz.gallery import build

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


class Outputs:
    """The files a command may write, as they were on disk before it began: after an interrupt,
    what was written is told from the disk itself, not from how far the program got."""

    def __init__(self):
        self.paths: list[Path] = []
        self._before: dict[Path, tuple[int, int] | None] = {}

    def expect(self, path: Path) -> None:
        self.paths.append(path)
        self._before[path] = _stamp(path)

    def written(self) -> list[Path]:
        return [p for p in self.paths if _stamp(p) not in (None, self._before[p])]


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns


OUTPUTS = Outputs()


def run_animate(config: AnimateConfig) -> None:
    """Make the runs, draw them, write the file(s) and say where."""
    from gdviz.export import check_target  # before any work: a bad target fails fast

    check_target(config.out)
    OUTPUTS.expect(config.out)
    if config.save_run is not None:
        from gdviz.files import check_writable

        check_writable(config.save_run)
    runs = make_runs(config)
    say = (lambda *a: None) if config.quiet else click.echo
    from gdviz.convergence import note

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
    if config.save_run is not None:
        from gdviz.races import run_files

        paths = run_files(config.save_run, runs)
        for path in paths:
            OUTPUTS.expect(path)
        for path, run in zip(paths, runs):
            run.save(path)
            say(f"saved run {path}")

    from gdviz.animation import animate

    anim = animate(
        runs,
        view=config.view,
        frames=config.frames,
        fps=config.fps,
        size=config.size,
        dpi=config.dpi,
    )
    anim.save(config.out, progress=False if config.quiet else None)
    say(str(config.out))


def make_runs(config: AnimateConfig) -> list:
    """The runs to draw: loaded, or trained by `gdviz.sweep` (torch loads only then)."""
    source = config.source
    if source.kind == "run":
        from gdviz.run import load

        return [load(path) for path in source.paths]

    from gdviz.races import sweep

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
        names = {"x_label": source.x[0]} if len(source.x) == 1 else {"columns": list(source.x)}
        for run in runs:
            run.meta.update(source=source.name, y_label=source.y, **names)
    return runs


# -- entry point --------------------------------------------------------------------------------


def _terminate(signum, frame):
    # SIGTERM and SIGHUP end the program through Ctrl-C's clean-up path: no half-written file.
    raise KeyboardInterrupt


def _interrupted() -> str:
    written = OUTPUTS.written()
    if not written:
        return "gdviz: interrupted; nothing was written"
    missing = [p for p in OUTPUTS.paths if p not in written]
    done = ", ".join(str(p) for p in written)
    if not missing:
        return f"gdviz: interrupted after writing {done} in full"
    return f"gdviz: interrupted after writing {done}; {', '.join(map(str, missing))} not written"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure at run time, 2 usage)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _terminate)
    logging.basicConfig(level=logging.WARNING, format="gdviz: %(message)s")
    try:
        status = cli.main(args=argv, prog_name="gdviz", standalone_mode=False)
        return status if isinstance(status, int) else 0
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo(_interrupted(), err=True)
        return 130
    except GdvizError as exc:
        click.echo(f"gdviz: error: {exc}", err=True)
        return 1
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"gdviz: error: {exc.strerror or exc}{where}", err=True)
        return 1
    except Exception as exc:  # a bug: still one line, the traceback on request
        if os.environ.get("GDVIZ_DEBUG"):
            raise
        click.echo(
            f"gdviz: internal error: {type(exc).__name__}: {exc} "
            "(set GDVIZ_DEBUG=1 for the traceback)",
            err=True,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
