"""`scaffolder report --html FILE`: the catalog as one self-contained static HTML page.

* `rows.py`: the row model. One `Row` per selected Component, made from the catalog (name,
  owner, system, lifecycle, repository) and the project's answers (template and baseline
  versions); `with_live` merges `insights` and `audit --live` results, in the JSON shapes of
  their `to_json()`, into the rows. What was not gathered stays None: the page says "not
  gathered", never 0.
* `page.py`: the renderer. Every value escaped; the data the inline script filters and sorts
  by in a `<script type="application/json">` block; a strict Content-Security-Policy whose
  `script-src` is the SHA-256 of the one inline script, so nothing else can run and no request
  leaves the page.
"""
