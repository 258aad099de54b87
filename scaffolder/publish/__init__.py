"""Publishing a scaffolded project to GitHub, with its security switched on.

`publish(PublishRequest(project=...), progress)` runs the steps in `pipeline.py` and returns a
`PublishResult` (see `model.py` for its JSON contract). Protection comes from the project's
`.github/rulesets/*.json` (`protection.py`), the switches from `security.py`, and the push
hands git the token through the environment only (`push.py`).
"""

from scaffolder.publish.model import PublishRequest, PublishResult
from scaffolder.publish.pipeline import publish

__all__ = ["PublishRequest", "PublishResult", "publish"]
