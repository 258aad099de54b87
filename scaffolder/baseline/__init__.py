"""What every scaffolder template shares: the security baseline's data, read from its files.

`questions` reads the standard questions (`standard-questions.yml`, copied into each template)
and evaluates their rules; `languages` reads the baseline's language table
(`templates/_baseline/languages.yml`), the one place that says what the baseline does for each
language and what `scaffolder audit` expects of it.
"""
