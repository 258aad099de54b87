"""The publish steps, in the order they run. A new step is a module here and one line below."""

from scaffolder.publish.run import PublishRun
from scaffolder.publish.steps import (
    align,
    catalog,
    identity,
    protection,
    push,
    repository,
    scan,
    security,
    settings,
    verify,
)
from scaffolder.runner import Step

#: identity → scan → repository → align → settings → push → protection → security → verify → catalog
STEPS: tuple[Step[PublishRun], ...] = (
    identity.STEP,
    scan.STEP,
    repository.STEP,
    align.STEP,
    settings.STEP,
    push.STEP,
    protection.STEP,
    security.STEP,
    verify.STEP,
    catalog.STEP,
)

__all__ = ["STEPS", "PublishRun"]
