"""Branch records: organizational life with attendance, dues, study and tests, funds, checklists, archives."""
