"""Classification keeps "no data" apart and copes with few distinct values."""

import numpy as np
import pandas as pd
import pytest

from atlas.model.classify import classify, colours, fmt_number, fmt_percent, legend_labels


@pytest.mark.parametrize("scheme", ["quantiles", "equal_interval", "natural_breaks"])
def test_every_value_gets_a_class_and_nan_gets_none(scheme):
    values = pd.Series([0, 1, 2, 3, 5, 8, 13, 21, 34, np.nan, 55])
    c = classify(values, scheme, k=5)
    assert c.k == 5
    assert c.index[9] == -1
    assert (c.index[[0, 1, 2, 3, 4, 5, 6, 7, 8, 10]] >= 0).all()
    assert c.index[10] == c.k - 1 and c.index[0] == 0
    assert list(c.bounds) == sorted(c.bounds)


def test_few_distinct_values_reduce_the_number_of_classes():
    c = classify(pd.Series([1, 1, 1, 2]), "quantiles", k=5)
    assert c.k <= 2 and len(colours(c)) == c.k
    assert classify(pd.Series([np.nan, np.nan])).k == 0


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError):
        classify(pd.Series([1.0]), "random")


def test_labels_and_number_formatting():
    c = classify(pd.Series([0, 10, 20, 30, 40]), "equal_interval", k=4)
    labels = legend_labels(c)
    assert labels[0].startswith("0 – ") and labels[-1].endswith("40")
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(3.14159) == "3.1"
    assert fmt_number(float("nan")) == "no data"
    assert fmt_percent(0.256) == "26%"
    assert fmt_percent(float("nan")) == "no data"


def test_fisher_jenks_matches_the_reference_implementation():
    import warnings

    import mapclassify

    from atlas.model.classify import fisher_jenks

    data = np.random.default_rng(1).lognormal(size=200)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = mapclassify.FisherJenks(data, k=5).bins
    assert np.allclose(fisher_jenks(data, 5), expected)


@pytest.mark.parametrize("seed", range(12))
def test_quantiles_and_equal_intervals_match_mapclassify(seed):
    import warnings

    import mapclassify

    from atlas.model.classify import equal_interval_bounds, quantile_bounds

    rng = np.random.default_rng(seed)
    data = rng.lognormal(size=int(rng.integers(3, 400)))
    if seed % 3 == 0:
        data = np.round(data)  # ties, as region counts have
    k = int(rng.integers(2, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected_q = mapclassify.Quantiles(data, k=k).bins
    assert np.allclose(np.unique(quantile_bounds(data, k)), expected_q)
    assert np.allclose(equal_interval_bounds(data, k), mapclassify.EqualInterval(data, k=k).bins)


def test_integer_labels_do_not_overlap():
    c = classify(pd.Series([0, 0, 0, 1, 2, 5, 9, 40, 89]), "quantiles", k=4)
    labels = legend_labels(c, integer=True)
    assert labels[0] == "0"
    for prev, nxt in zip(c.bounds, labels[1:], strict=False):
        assert nxt.startswith(fmt_number(prev + 1))


def test_integer_labels_have_no_fractions():
    c = classify(pd.Series([0, 3, 8, 12, 15, 17, 18, 25, 40, 89]), "quantiles", k=5)
    labels = legend_labels(c, integer=True)
    assert not any("." in label for label in labels)
