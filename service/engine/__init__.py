"""The only package that imports SpiffWorkflow."""

from service.engine import spiff_patches as _spiff_patches  # noqa: F401  (applied on import)
