"""The loss plane of a Hugging Face `Trainer` fit: dict batches, the model's own loss.

A tiny BERT (built from a config: nothing downloaded) is trained a few steps by `Trainer` with
`gdviz.callbacks.Transformers`; the plane's loss is checked against the loss computed by hand,
batch by batch, with the parameters set to the grid point.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hf_stand_ins import BATCH, EXAMPLES, Tokens, loader, tiny_bert

import gdviz
from gdviz.errors import GdvizError

transformers = pytest.importorskip("transformers")

WORKER = Path(__file__).resolve().parent / "hf_plane_worker.py"
TORCHRUN = Path(sys.executable).parent / "torchrun"


def fit(tmp_path, **more):
    """A tiny BERT trained 10 SGD steps (two shuffled epochs) with the callback."""
    model, rec = tiny_bert(), gdviz.callbacks.Transformers()
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "trainer"), per_device_train_batch_size=BATCH,
        num_train_epochs=2, learning_rate=0.1, optim="sgd", lr_scheduler_type="constant",
        weight_decay=0.0, max_grad_norm=0.0, report_to=[], save_strategy="no", use_cpu=True,
        seed=0, disable_tqdm=True, **more,
    )  # fmt: skip
    trainer = transformers.Trainer(model=model, args=args, train_dataset=Tokens(), callbacks=[rec])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trainer.train()
    return rec, model


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    return fit(tmp_path_factory.mktemp("fit"))


def by_hand(vector, batches) -> float:
    """The mean loss over every example with a fresh BERT's parameters set to ``vector``: each
    batch's ``model(**batch).loss`` weighted by its size, in eval mode, without gradients."""
    probe = tiny_bert(seed=1)
    torch.nn.utils.vector_to_parameters(torch.as_tensor(vector, dtype=torch.float32),
                                        probe.parameters())  # fmt: skip
    probe.eval()
    total, n = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            size = len(batch["input_ids"])
            total += float(probe(**batch).loss) * size
            n += size
    return total / n


@pytest.mark.slow
def test_the_plane_of_a_trainer_fit_is_the_model_s_own_loss_over_every_example(fitted, tmp_path):
    rec, model = fitted
    run = rec.to_run(model=model, data=loader(), plane="pca", resolution=5, distance=0.5)
    plane = run.landscape
    assert plane.loss.shape == (5, 5) and run.meta["loss"] == "model's own"
    assert model.training  # left as the Trainer left it
    assert plane.a[2] == 0 and plane.b[2] == 0  # the centre of a grid of ±distance
    expected = by_hand(plane.origin, loader())
    assert plane.loss[2, 2] == pytest.approx(expected, rel=1e-6)
    i, j = 1, 4  # another point: origin + a[i]·d0 + b[j]·d1
    point = plane.origin + plane.a[i] * plane.directions[0] + plane.b[j] * plane.directions[1]
    assert plane.loss[j, i] == pytest.approx(by_hand(point, loader()), rel=1e-6)
    assert abs(plane.loss[j, i] - expected) > 1e-3  # a point elsewhere, with another loss
    anim = gdviz.animate(run, view="contour")
    anim.save(tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_without_data_the_plane_is_over_the_loader_the_trainer_shuffled(fitted):
    rec, model = fitted
    given = rec.to_run(model=model, data=loader(), plane="pca", resolution=3)
    trained_on = rec.to_run(model=model, plane="pca", resolution=3)
    np.testing.assert_allclose(trained_on.landscape.loss, given.landscape.loss, rtol=1e-6)
    encoded = [  # a list of Hugging Face BatchEncoding batches
        transformers.BatchEncoding(dict(batch)) for batch in loader()
    ]
    listed = rec.to_run(model=model, data=encoded, plane="pca", resolution=3)
    np.testing.assert_allclose(listed.landscape.loss, given.landscape.loss, rtol=1e-6)
    tokens = Tokens()  # all of it at once, as one BatchEncoding: no warning of a recorded loss
    whole = transformers.BatchEncoding(
        {"input_ids": tokens.ids, "attention_mask": torch.ones_like(tokens.ids),
         "labels": tokens.labels}
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        held = rec.to_run(model=model, data=whole, plane="pca", resolution=3)
    np.testing.assert_allclose(held.landscape.loss, given.landscape.loss, rtol=1e-6)


@pytest.mark.slow
def test_a_loss_of_the_caller_s_takes_the_labels_out_of_each_batch(fitted):
    rec, model = fitted

    def cross_entropy(outputs, labels):
        return torch.nn.functional.cross_entropy(outputs.logits, labels)

    own = gdviz.landscape(model, data=loader(), resolution=3, seed=2)
    theirs = gdviz.landscape(model, loss=cross_entropy, data=loader(), resolution=3, seed=2)
    np.testing.assert_allclose(theirs.landscape.loss, own.landscape.loss, rtol=1e-6)
    with pytest.raises(GdvizError, match="without 'labels'") as info:
        gdviz.landscape(model, loss=cross_entropy, data=loader(labels=False), resolution=3)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_subsample_cache_and_interpolation_take_dict_batches(fitted, tmp_path):
    rec, model = fitted
    run = gdviz.landscape(model, data=loader(), resolution=3, samples=10, seed=3)
    assert run.landscape.samples == 10 and run.landscape.examples == EXAMPLES
    assert np.isfinite(run.landscape.stderr).all() and (run.landscape.stderr > 0).any()
    listed = gdviz.landscape(model, data=list(loader()), resolution=3, samples=10, seed=3)
    np.testing.assert_allclose(listed.landscape.loss, run.landscape.loss, rtol=1e-6)  # the same
    cache = tmp_path / "plane.npz"
    first = gdviz.landscape(model, data=loader(), resolution=3, cache=cache)
    again = gdviz.landscape(model, data=loader(), resolution=3, cache=cache)
    assert again.meta["evaluation"]["cached"] == 9 and again.meta["evaluation"]["evaluated"] == 0
    np.testing.assert_array_equal(again.landscape.loss, first.landscape.loss)
    start = torch.nn.utils.parameters_to_vector(tiny_bert().parameters()).detach().numpy()
    line = gdviz.interpolate(tiny_bert(), model, data=loader(), points=3)
    assert line.loss[line.alpha == 0][0] == pytest.approx(by_hand(start, loader()), rel=1e-6)


@pytest.mark.slow
def test_a_dict_batch_without_labels_and_no_loss_is_one_line(fitted):
    rec, model = fitted
    for call in (
        lambda: rec.to_run(model=model, data=loader(labels=False), plane="pca", resolution=3),
        lambda: gdviz.landscape(model, data=loader(labels=False), resolution=3),
    ):
        with pytest.raises(GdvizError, match="returned no loss") as info:
            call()
        assert "\n" not in str(info.value) and "input_ids" in str(info.value)


@pytest.mark.slow
def test_a_hessian_plane_through_attention_without_second_derivatives_is_one_line():
    # torch (2.13) has no double backward of the CPU flash attention that BERT uses by default
    with pytest.raises(GdvizError, match="second derivatives") as info:
        gdviz.landscape(tiny_bert(), data=loader(), plane="hessian", resolution=3)
    assert "\n" not in str(info.value) and "attn_implementation='eager'" in str(info.value)


def test_pairs_without_a_loss_and_ragged_dicts_are_one_line():
    net = torch.nn.Linear(3, 2)
    x, y = torch.randn(8, 3), torch.randint(0, 2, (8,))
    with pytest.raises(GdvizError, match="no loss: pass loss=") as info:
        gdviz.landscape(net, data=[(x, y)], resolution=3)
    assert "\n" not in str(info.value)
    listed = transformers.BatchEncoding({"input_ids": [[1, 2], [3, 4]]})  # not tensors
    with pytest.raises(GdvizError, match="'input_ids' as a list") as info:
        gdviz.landscape(net, data=listed, resolution=3)
    assert "\n" not in str(info.value)
    ragged = [{"input_ids": torch.zeros(4, 6, dtype=torch.long), "labels": torch.zeros(3)}]
    with pytest.raises(GdvizError, match="different lengths") as info:
        gdviz.landscape(net, data=ragged, resolution=3)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_the_trainer_s_loader_is_refused_where_a_pass_misses_examples(tmp_path):
    rec, model = fit(tmp_path, dataloader_drop_last=True)
    with pytest.raises(GdvizError, match="dataloader_drop_last") as info:
        rec.to_run(model=model, plane="pca", resolution=3)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_two_processes_share_a_dict_batch_plane_and_each_returns_the_whole(tmp_path):
    done = subprocess.run(
        [str(TORCHRUN), "--standalone", "--nproc_per_node=2", str(WORKER), str(tmp_path)],
        env=dict(os.environ, OMP_NUM_THREADS="1"), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    alone = gdviz.landscape(tiny_bert(), data=loader(), resolution=5)
    ranks = [np.load(tmp_path / f"rank{r}.npz") for r in (0, 1)]
    for found in ranks:
        np.testing.assert_allclose(found["grid"], alone.landscape.loss, rtol=1e-6)
    shares = [int(found["done"]) for found in ranks]
    assert sum(shares) == 25 and min(shares) > 0
