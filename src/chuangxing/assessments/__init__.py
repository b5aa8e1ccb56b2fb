"""The assessment cycle: self-assessment, review, surveys, spot checks, publicity, rating, rectification."""
