"""The access policy: who may create what, and where (issue 16).

Not to be confused with `scaffolder/audit/`, the security baseline's checks of a repository.

* `model.py`: the policy as data (frozen dataclasses), no I/O.
* The policy file's parser and where it comes from (`--policy`, `SCAFFOLDER_POLICY`, the
  configuration file's `policy` key) live in their own modules beside it.
* `identity.py`: what GitHub says about the token (kind, scopes, user, emails, memberships),
  read lazily and once per run.
* `rules.py`: `evaluate(policy, intent, facts) -> Decision`, one `RuleResult` per rule
  (`decision.py`; the lifecycle rules in `lifecycle.py`), and `allowed_choices` for the wizard.
"""
