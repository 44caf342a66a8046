"""Plan §1.5 grade table at every boundary ("以上" includes, "以下" excludes), and the
suggested response level of DOMAIN.md. Pure functions: no database."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidents.choices import Grade, ResponseLevel
from incidents.grading import grade_incident, grade_rank, suggest_response_level

G, L, M, E = Grade.GENERAL, Grade.LARGER, Grade.MAJOR, Grade.ESPECIALLY_MAJOR


def grade(deaths=0, injuries=0, loss=0):
    return grade_incident(deaths=deaths, serious_injuries=injuries, direct_loss=loss).grade


@pytest.mark.parametrize("deaths, expected", [
    (0, G), (2, G), (3, L), (9, L), (10, M), (29, M), (30, E), (1000, E)])
def test_deaths_boundaries(deaths, expected):
    assert grade(deaths=deaths) == expected


@pytest.mark.parametrize("injuries, expected", [
    (0, G), (9, G), (10, L), (49, L), (50, M), (99, M), (100, E)])
def test_serious_injury_boundaries(injuries, expected):
    assert grade(injuries=injuries) == expected


@pytest.mark.parametrize("loss, expected", [
    (0, G), (9_999_999, G), (Decimal("9999999.99"), G), (10_000_000, L), (49_999_999, L),
    (50_000_000, M), (99_999_999, M), (100_000_000, E)])
def test_direct_loss_boundaries(loss, expected):
    assert grade(loss=loss) == expected


def test_the_highest_criterion_reached_decides_and_is_named():
    grading = grade_incident(deaths=2, serious_injuries=55, direct_loss=12_000_000)
    assert (grading.grade, grading.criterion, grading.threshold) == (M, "serious_injuries", 50)
    assert grade_incident(deaths=0, serious_injuries=0, direct_loss=0).criterion == ""


@pytest.mark.parametrize("field", ["deaths", "serious_injuries", "direct_loss"])
def test_negative_figures_are_refused(field):
    figures = {"deaths": 0, "serious_injuries": 0, "direct_loss": 0, field: -1}
    with pytest.raises(ValueError, match=field):
        grade_incident(**figures)


figures = st.tuples(st.integers(0, 200), st.integers(0, 300),
                    st.integers(0, 300_000_000))


@given(figures, st.sampled_from([0, 1, 2]), st.integers(1, 100_000_000))
def test_grade_never_decreases_when_a_figure_increases(base, which, increase):
    raised = list(base)
    raised[which] += increase
    assert grade_rank(grade(*raised)) >= grade_rank(grade(*base))


@pytest.mark.parametrize("grade_, deaths, injuries, beyond, expected, reason", [
    (L, 3, 0, False, ResponseLevel.LEVEL_I, "grade"),
    (E, 0, 0, False, ResponseLevel.LEVEL_I, "grade"),
    (G, 1, 0, False, ResponseLevel.LEVEL_II, "casualties"),
    (G, 0, 1, False, ResponseLevel.LEVEL_II, "casualties"),
    (G, 0, 0, True, ResponseLevel.LEVEL_II, "beyond_township"),
    (G, 0, 0, False, ResponseLevel.LEVEL_III, "township_can_handle"),
])
def test_suggested_response_level(grade_, deaths, injuries, beyond, expected, reason):
    suggestion = suggest_response_level(grade=grade_, deaths=deaths, serious_injuries=injuries,
                                        beyond_township_capacity=beyond)
    assert (suggestion.level, suggestion.reason) == (expected, reason)
