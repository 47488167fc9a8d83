"""single-shot with the embedded model on one scenario: the whole path, for real."""

import pytest
from eval_support import SUITE

from bdev.evaluation import evaluate, load_suite
from bdev.evaluation.single_shot import SingleShot


@pytest.mark.model
def test_single_shot_with_the_embedded_model(tmp_path):
    from bdev.llm.resolve import create_model

    model = create_model("local")
    (run,) = evaluate(load_suite(SUITE, "10-*"), [SingleShot()], model, tmp_path).runs
    assert run.build.tokens_in > 200 and run.build.tokens_out > 0
    # Whatever the model wrote, the harness measured it or says why it could not.
    if run.build.ok:
        assert run.functional.ran if run.started else run.start_error
    else:
        assert run.build.notes
