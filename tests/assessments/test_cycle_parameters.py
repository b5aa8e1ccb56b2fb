"""A cycle's parameters are the reading its sheets are scored under (the rubric's worked examples are
not re-run for them)."""

from decimal import Decimal

from chuangxing.assessments.services import rubric_of
from chuangxing.rubric import library
from chuangxing.scoring import score

from .conftest import World


def _sixty_points():
    return next(e for e in library.load("zhenjiang-2018").examples if e.id == "boundary-60-default").findings


def test_a_cycle_opened_with_a_reading_scores_under_it(db):
    world = World(parameters={"one_star_at_60": True})

    rubric = rubric_of(world.assessment(world.a1))
    sheet = score(rubric, _sixty_points())

    assert world.cycle.parameters == {"one_star_at_60": True}
    assert rubric.parameters["one_star_at_60"].value is True
    assert (sheet.total, sheet.rating_of("stars").level) == (Decimal(60), "one")


def test_a_cycle_without_parameters_keeps_the_default_reading(db):
    world = World()

    sheet = score(rubric_of(world.assessment(world.a1)), _sixty_points())

    assert (sheet.total, sheet.rating_of("stars").level) == (Decimal(60), "none")
