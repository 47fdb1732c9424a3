"""Feature engineering: pure functions over canonical tables, one frame per feature view."""
