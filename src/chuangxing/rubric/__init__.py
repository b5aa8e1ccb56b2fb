"""The rubric format: an official standard as a versioned, validated data file.

>>> from chuangxing.rubric import load_rubric, check_rubric
>>> rubric = load_rubric("zhenjiang-2018")
>>> report, _ = check_rubric("path/to/draft.yaml")
"""

from chuangxing.rubric.loader import check_rubric, check_text, load_rubric
from chuangxing.rubric.problems import Problem, Report, RubricInvalid
from chuangxing.rubric.schema import Rubric

__all__ = ["Problem", "Report", "Rubric", "RubricInvalid", "check_rubric", "check_text", "load_rubric"]
