"""Organizations (工委 → 党委/党总支 → 党支部 → 党小组), members and committee terms."""
