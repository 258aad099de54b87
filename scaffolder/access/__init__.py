"""The access policy: who may create what, and where (issue 16).

Not to be confused with `scaffolder/audit/`, the security baseline's checks of a repository.

* `model.py`: the policy as data (frozen dataclasses), no I/O.
* The policy file's parser and where it comes from (`--policy`, `SCAFFOLDER_POLICY`, the
  configuration file's `policy` key), and the rules' evaluation against GitHub, live in their
  own modules beside it.
"""
