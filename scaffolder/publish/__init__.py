"""Publishing a scaffolded project to GitHub, with its security switched on.

`scaffolder.commands.publish.run(PublishOptions(project=...))` runs the steps in `steps/`
(one module each, registered in `steps/__init__.py`) over one `PublishRun` (`run.py`) and
returns a `PublishResult` (see `model.py` for its JSON contract). Protection comes from the
project's `.github/rulesets/*.json` (`protection.py`), the switches from `security.py`, and the
push hands git the token through the environment only (`push.py`).
"""
