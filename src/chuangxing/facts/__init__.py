"""Named facts: what a branch's records show for a whole cycle, bound to rubric rules by name."""
